import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An ``ObjectStore`` on a local directory.
///
/// Each object is a file at `<root>/<name>`; its tags are JSON in `<root>/.tags/<name>`. A put
/// writes the tags, then the data to a temporary file in the same directory, fsyncs it, and moves
/// it into place — `link(2)` for create-only (which fails atomically if the name exists), `rename(2)`
/// otherwise — then fsyncs the directory. A reader sees a whole object or none, and a crash leaves
/// at most a temporary file (`.tmp-*`, never listed) or tags without an object (ignored). Those are
/// this store's unfinished uploads: ``pendingUploads()`` lists them and the sweep removes them once
/// they are older than its grace period, as it aborts S3's.
public struct LocalStore: ObjectStore {
    public let root: String

    /// Uses `root`, creating it if needed unless `create` is false (a folder several nodes share:
    /// one gone or not mounted must fail, not be made afresh on one node's disk).
    public init(root: String, create: Bool = true) throws {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        if create {
            try Self.makeDirectories(self.root)
        } else {
            try checkRoot(operation: "open")
        }
    }

    /// Throws unless the store's folder is there: a put never makes it again (it would write the
    /// object somewhere no reader of the store looks).
    private func checkRoot(operation: String) throws {
        var status = stat()
        guard stat(root, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError.io(operation: operation, name: root, detail: "the store's folder is not there")
        }
    }

    /// Names are paths under ``root`` as they are.
    public var keyPrefix: String { "" }

    private func path(_ name: String) -> String { root + "/" + name }
    private func tagsPath(_ name: String) -> String { root + "/.tags/" + name }

    public func put(_ name: String, data: [UInt8], tags: ObjectTags, createOnly: Bool) async throws {
        try ObjectName.validate(name)
        try checkRoot(operation: "put")
        let target = path(name)
        let directory = Self.parent(target)
        try Self.makeDirectories(directory)
        if createOnly, access(target, F_OK) == 0 { throw StoreError.alreadyExists(name) }
        try writeTags(name, tags)
        let temporary = directory + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            try Self.writeDurably(temporary, data, name: name)
        } catch {
            // A delete of the folder's last object may have pruned it between the two steps.
            try Self.makeDirectories(directory)
            try Self.writeDurably(temporary, data, name: name)
        }
        if createOnly {
            let linked = link(temporary, target)
            let code = errno
            unlink(temporary)
            if linked != 0 {
                if code == EEXIST { throw StoreError.alreadyExists(name) }
                throw StoreError.io(operation: "commit", name: name, detail: String(cString: strerror(code)))
            }
        } else if rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            throw StoreError.io(operation: "commit", name: name, detail: String(cString: strerror(code)))
        }
        try Self.syncDirectory(directory, name: name)
    }

    public func get(_ name: String) async throws -> [UInt8] {
        try ObjectName.validate(name)
        return try Self.read(path(name), name: name, range: nil)
    }

    public func get(_ name: String, range: Range<Int64>) async throws -> [UInt8] {
        try ObjectName.validate(name)
        return try Self.read(path(name), name: name, range: range)
    }

    public func head(_ name: String) async throws -> ObjectInfo? {
        try ObjectName.validate(name)
        var status = stat()
        guard stat(path(name), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return ObjectInfo(name: name, size: Int64(status.st_size), tags: try readTags(name), lastModified: Int64(status.st_mtim.tv_sec))
    }

    public func delete(_ name: String) async throws {
        try ObjectName.validate(name)
        if unlink(path(name)) != 0 && errno != ENOENT {
            throw StoreError.io(operation: "delete", name: name, detail: String(cString: strerror(errno)))
        }
        unlink(tagsPath(name))
        try? Self.syncDirectory(Self.parent(path(name)), name: name)
        // Empty folders go too: a folder named after an erased owner would still name them.
        pruneEmptyDirectories(from: Self.parent(path(name)), upTo: root)
        pruneEmptyDirectories(from: Self.parent(tagsPath(name)), upTo: root + "/.tags")
    }

    private func pruneEmptyDirectories(from directory: String, upTo stop: String) {
        var current = directory
        while current.count > stop.count, current.hasPrefix(stop + "/"), rmdir(current) == 0 {
            current = Self.parent(current)
        }
    }

    public func list(prefix: String) async throws -> [ListedObject] {
        var results: [ListedObject] = []
        // Walk only the directory the prefix names (or its parent), not the whole store.
        let slash = prefix.lastIndex(of: "/")
        let base = slash.map { String(prefix[..<$0]) } ?? ""
        try walk(relative: base) { name, size, modified in
            if name.hasPrefix(prefix) { results.append(ListedObject(name: name, size: size, lastModified: modified)) }
        }
        return results.sorted { $0.name < $1.name }
    }

    public func setTags(_ name: String, tags: ObjectTags) async throws {
        try replaceTags(name, tags: tags)
    }

    private func replaceTags(_ name: String, tags: ObjectTags) throws {
        try ObjectName.validate(name)
        guard access(path(name), F_OK) == 0 else { throw StoreError.notFound(name) }
        try writeTags(name, tags)
    }

    public func checkAvailable() async throws {
        var status = stat()
        guard stat(root, &status) == 0 else { throw StoreError.io(operation: "check", name: root, detail: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { throw StoreError.io(operation: "check", name: root, detail: "not a folder") }
    }

    public func renew(_ name: String, tags: ObjectTags) async throws {
        try replaceTags(name, tags: tags)
        guard utimes(path(name), nil) == 0 else {
            throw errno == ENOENT ? StoreError.notFound(name) : StoreError.io(operation: "renew", name: name, detail: String(cString: strerror(errno)))
        }
    }

    // MARK: Unfinished writes

    /// Temporary files (`.tmp-*`, beside objects and beside tags) and tags whose object does not
    /// exist: what puts cut short leave. `name` and `uploadID` are the file's path under the root,
    /// `initiated` its modification time.
    public func pendingUploads() async throws -> [PendingUpload] {
        var found: [PendingUpload] = []
        walkEverything(relative: "") { relative, modified in
            let file = relative.split(separator: "/").last.map(String.init) ?? relative
            let isTemporary = file.hasPrefix(".tmp-")
            let isOrphanedTags = !isTemporary && relative.hasPrefix(".tags/") && access(path(String(relative.dropFirst(".tags/".count))), F_OK) != 0
            if isTemporary || isOrphanedTags { found.append(PendingUpload(name: relative, uploadID: relative, initiated: modified)) }
        }
        return found.sorted { $0.name < $1.name }
    }

    /// Removes the listed unfinished writes, each only if it is still what was listed: the same
    /// modification time and, for tags, still no object. A put that resumed meanwhile (it renames
    /// fresh tags into place before its object) is left alone. Folders emptied go too, as
    /// ``delete(_:)`` prunes them.
    public func abort(_ uploads: [PendingUpload]) async throws {
        for upload in uploads {
            let file = root + "/" + upload.name
            var status = stat()
            guard lstat(file, &status) == 0, Int64(status.st_mtim.tv_sec) == upload.initiated else { continue }
            if upload.name.hasPrefix(".tags/"), !(upload.name.split(separator: "/").last ?? "").hasPrefix(".tmp-"),
               access(path(String(upload.name.dropFirst(".tags/".count))), F_OK) == 0 {
                continue   // the object landed since the listing: these are its tags now
            }
            if unlink(file) != 0 && errno != ENOENT {
                throw StoreError.io(operation: "remove", name: upload.name, detail: String(cString: strerror(errno)))
            }
            let tagsRoot = root + "/.tags"
            pruneEmptyDirectories(from: Self.parent(file), upTo: file.hasPrefix(tagsRoot + "/") ? tagsRoot : root)
        }
    }

    /// Every regular file under `relative`, hidden ones included, with its modification time.
    private func walkEverything(relative: String, _ visit: (String, Int64) -> Void) {
        let directoryPath = relative.isEmpty ? root : root + "/" + relative
        guard let directory = opendir(directoryPath) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard lstat(root + "/" + child, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                walkEverything(relative: child, visit)
            } else if (status.st_mode & S_IFMT) == S_IFREG {
                visit(child, Int64(status.st_mtim.tv_sec))
            }
        }
    }

    // MARK: Tags

    private func writeTags(_ name: String, _ tags: ObjectTags) throws {
        let target = tagsPath(name)
        try Self.makeDirectories(Self.parent(target))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = Array((try? encoder.encode(tags)) ?? Data())
        let temporary = Self.parent(target) + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            try Self.writeDurably(temporary, data, name: name)
        } catch {
            try Self.makeDirectories(Self.parent(target))
            try Self.writeDurably(temporary, data, name: name)
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw StoreError.io(operation: "tag", name: name, detail: String(cString: strerror(code)))
        }
    }

    /// The most a tags file can be (a real one is about 150 bytes): one put in its place that is
    /// larger is refused without being read whole.
    static let largestTagsFile = 64 * 1_024

    private func readTags(_ name: String) throws -> ObjectTags {
        let bytes = try Self.read(tagsPath(name), name: name, range: 0..<Int64(Self.largestTagsFile + 1))
        guard bytes.count <= Self.largestTagsFile else {
            throw StoreError.io(operation: "read tags of", name: name, detail: "a tags file larger than \(Self.largestTagsFile) bytes")
        }
        guard let tags = try? JSONDecoder().decode(ObjectTags.self, from: Data(bytes)) else {
            throw StoreError.io(operation: "read tags of", name: name, detail: "unreadable tags")
        }
        return tags
    }

    // MARK: Files

    private func walk(relative: String, _ visit: (String, Int64, Int64) throws -> Void) throws {
        let directoryPath = relative.isEmpty ? root : root + "/" + relative
        guard let directory = opendir(directoryPath) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }   // ., .., .tags, .tmp-*
            let child = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard stat(root + "/" + child, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                try walk(relative: child, visit)
                // An empty folder (left by a delete interrupted before it pruned) goes; rmdir
                // refuses a folder that is not empty, so nothing else is touched.
                rmdir(root + "/" + child)
            } else if (status.st_mode & S_IFMT) == S_IFREG {
                try visit(child, Int64(status.st_size), Int64(status.st_mtim.tv_sec))
            }
        }
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    static func makeDirectories(_ path: String) throws {
        do { try SystemIO.makeDirectories(path, mode: 0o755) } catch let error as SystemError {
            throw StoreError.io(operation: error.operation, name: error.path, detail: error.detail)
        }
    }

    static func writeDurably(_ path: String, _ data: [UInt8], name: String) throws {
        do { try SystemIO.createFile(path, data, mode: 0o644) } catch let failure as SystemCallFailure {
            throw StoreError.io(operation: failure.operation, name: name, detail: failure.detail)
        }
    }

    static func syncDirectory(_ path: String, name: String) throws {
        do { try SystemIO.syncDirectory(path) } catch let failure as SystemCallFailure {
            throw StoreError.io(operation: "fsync directory of", name: name, detail: failure.detail)
        }
    }

    static func read(_ path: String, name: String, range: Range<Int64>?) throws -> [UInt8] {
        // Non-blocking: a FIFO someone put in an object's place would otherwise block the open
        // (and the reader) until a writer came; it is refused below like any other non-file.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw StoreError.notFound(name) }
            throw StoreError.io(operation: "open", name: name, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError.io(operation: "open", name: name, detail: "not a regular file (a FIFO, device or folder in an object's place)")
        }
        let size = Int64(status.st_size)
        let start = min(max(range?.lowerBound ?? 0, 0), size)
        let end = min(range?.upperBound ?? size, size)
        let count = Int(max(0, end - start))
        return try FileDescriptorIO.read(descriptor, offset: start, count: count, name: name)
    }
}
