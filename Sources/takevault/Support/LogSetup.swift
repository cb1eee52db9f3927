import Logging
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Structured log lines on stderr: `2026-11-29T06:30:00Z warning takevault.ingest upload rejected code=… take_id=…`.
/// Level from `TAKEVAULT_LOG_LEVEL` (trace … critical; default `warning`, so a CLI run stays quiet).
struct LogfmtHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        let stamp = UTCTime(secondsSince1970: Int64(time(nil))).iso8601
        FileDescriptorOutput.standardError.write("\(stamp) \(event.level) \(label) \(event.message)\(fields.isEmpty ? "" : " " + fields)\n")
    }

    static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"" + value.replacingQuotes() + "\"" : value
    }

    static func bootstrap() {
        let level = Environment.current["TAKEVAULT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        LoggingSystem.bootstrap { label in LogfmtHandler(label: label, logLevel: level) }
    }
}

extension String {
    fileprivate func replacingQuotes() -> String { String(flatMap { $0 == "\"" ? ["\\", "\""] : [$0] }) }
}
