/// Paths inside the repository, found from this source file's location (Tests/TestSupport/…).
public enum RepositoryPaths {
    public static let root: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    /// The shipped sample takes.
    public static let samples = root + "/samples"
}
