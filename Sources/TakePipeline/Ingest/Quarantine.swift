import AudioCodecs
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Keeps rejected uploads: a copy of the file, untouched, beside `reason.json` (code, message,
/// probe result when there is one, owner, time), in `quarantine/<time>-<sha prefix>-<owner>/`. The upload
/// is someone's audio and the reason names them: folders 0700, files 0600.
struct Quarantine {
    let vault: Vault

    struct Reason: Encodable {
        var code: String
        var message: String
        var file: String
        var owner: String
        var at: String
        var uploadSHA256: String
        var probe: AudioFileInfo?

        enum CodingKeys: String, CodingKey { case code, message, file, owner, at, uploadSHA256 = "upload_sha256", probe }
    }

    /// Files the upload away and returns the folder it went to.
    func keep(upload: String, originalName: String, owner: String, uploadSHA256: String, error: ReasonCoded) throws -> String {
        let now = vault.clock.now()
        let stamp = Timestamp.string(now).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        // One folder per owner and upload: the same bytes rejected for two owners are two records,
        // each erased with its owner.
        let folder = vault.quarantineDirectory + "/" + stamp + "-" + String(uploadSHA256.prefix(12)) + "-" + owner
        try FileIO.makeDirectory(folder, mode: 0o700)
        let safeName = Self.safeFileName(originalName)
        if !FileIO.exists(folder + "/" + safeName) { try FileIO.copy(upload, to: folder + "/" + safeName, mode: 0o600) }
        let reason = Reason(code: error.code, message: error.message, file: safeName, owner: owner, at: Timestamp.string(now),
                            uploadSHA256: uploadSHA256, probe: try? AudioProbe.probe(path: upload))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if !FileIO.exists(folder + "/reason.json") {
            try FileIO.writeNew(folder + "/reason.json", Array(try encoder.encode(reason)) + [0x0a], mode: 0o600)
        }
        return folder
    }

    /// The quarantine folders holding `owner`'s rejected uploads, read from each `reason.json`
    /// (erasure removes them with the rest of the owner's data). A folder whose reason cannot be
    /// read is not theirs to judge here; the sweep removes it when it is old enough.
    func folders(owner: String) -> [String] {
        var result: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: vault.quarantineDirectory)) ?? [] {
            let folder = vault.quarantineDirectory + "/" + name
            guard let size = try? FileIO.size(folder + "/reason.json"), size <= Self.largestReason,
                  let bytes = try? FileIO.read(folder + "/reason.json"),
                  let reason = try? JSONDecoder().decode(OwnerOnly.self, from: Data(bytes)), reason.owner == owner
            else { continue }
            result.append(folder)
        }
        return result.sorted()
    }

    /// A reason is a few hundred bytes; anything past this is not one takevault wrote.
    static let largestReason = 64 * 1024

    private struct OwnerOnly: Decodable { var owner: String }

    /// The file's own name, made safe for a folder: path separators and control characters replaced.
    static func safeFileName(_ name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? "upload"
        let cleaned = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._- ".contains($0)) ? $0 : "_" }.prefix(128))
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "upload" + cleaned : cleaned
    }
}
