import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UTC timestamps as takevault writes them: ISO 8601 to the second, `2026-11-29T06:30:00Z`.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        UTCTime(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down))).iso8601
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (also with fractional seconds or a `+HH:MM` offset). Dates
    /// arrive from requests and files: every field is range-checked (no "month 99" rolled over
    /// into another year), and `nil` answers anything else.
    public static func date(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        guard scalars.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= scalars.count else { return nil }
            var value: Int32 = 0
            for byte in scalars[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), scalars[4] == 0x2d, let month = number(5..<7), scalars[7] == 0x2d, let day = number(8..<10),
              scalars[10] == 0x54 || scalars[10] == 0x20, let hour = number(11..<13), scalars[13] == 0x3a, let minute = number(14..<16),
              scalars[16] == 0x3a, let second = number(17..<19)
        else { return nil }
        let civil = UTCTime(year: Int64(year), month: Int(month), day: Int(day), hour: Int(hour), minute: Int(minute), second: Int(second))
        guard civil.isValid else { return nil }
        var index = 19
        var fraction = 0.0
        if index < scalars.count, scalars[index] == 0x2e {
            var scale = 0.1
            index += 1
            while index < scalars.count, scalars[index] >= 0x30 && scalars[index] <= 0x39 {
                fraction += Double(scalars[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < scalars.count, scalars[index] == 0x2b || scalars[index] == 0x2d {
            guard let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)), hours <= 14, minutes <= 59 else { return nil }
            offset = Int(hours) * 3600 + Int(minutes) * 60
            if scalars[index] == 0x2b { offset = -offset }
        } else if !(index < scalars.count && scalars[index] == 0x5a) {
            return nil
        }
        return Date(timeIntervalSince1970: Double(civil.secondsSince1970) + Double(offset) + fraction)
    }
}

/// The current time, injected wherever a decision depends on it (retention, sweeps), so tests and
/// `--as-of` can travel in time.
public struct PipelineClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = PipelineClock { Date() }

    public static func fixed(_ date: Date) -> PipelineClock { PipelineClock { date } }
}
