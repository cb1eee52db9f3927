import TakevaultCore

/// The names of staged uploads (FORMAT.md §10), outside the owners' tree so that nothing reading
/// an owner's takes meets them:
///
/// - `v1/staging/<owner>/<job>/segment-<index, 8 digits>` — a sealed segment
/// - `v1/staging/<owner>/<job>/seal` — the upload's key, wrapped, with its length and hash; written last
public enum StagingNames {
    public static let root = "v1/staging/"

    public static func ownerPrefix(_ owner: String) -> String { root + owner + "/" }

    public static func uploadPrefix(owner: String, job: String) -> String { ownerPrefix(owner) + job + "/" }

    public static func seal(owner: String, job: String) -> String { uploadPrefix(owner: owner, job: job) + "seal" }

    public static func segment(owner: String, job: String, index: Int) -> String {
        let digits = String(index)
        return uploadPrefix(owner: owner, job: job) + "segment-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The owner and job a staging name belongs to, or `nil` for a name outside this layout.
    public static func upload(of name: String) -> (owner: String, job: String)? {
        guard name.hasPrefix(root) else { return nil }
        let parts = name.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, Identifier.isValid(String(parts[0])), Identifier.isValid(String(parts[1])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
