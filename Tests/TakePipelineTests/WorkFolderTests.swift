import Foundation
@testable import TakePipeline
import Testing
import TestSupport

/// Work folders say whether their maker still lives: the lock a live process holds, free once it ends.
@Suite("Work folders")
struct WorkFolderTests {
    @Test("a folder in use is left alone; one whose lock is free is removed; one without a lock file waits for the grace period")
    func holders() throws {
        let directory = TestDirectory()
        let work = directory.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let live = try WorkFolder(in: work, name: "live")
        #expect(WorkFolder.holder(of: live.path) == .working)
        // What a killed process leaves: the lock file, nobody holding it.
        try FileManager.default.createDirectory(atPath: work + "/dead", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: work + "/dead/.in-use", contents: Data())
        FileManager.default.createFile(atPath: work + "/dead/master.flac", contents: Data([1, 2, 3]))
        #expect(WorkFolder.holder(of: work + "/dead") == .abandoned)
        // An older version's folder.
        try FileManager.default.createDirectory(atPath: work + "/old", withIntermediateDirectories: true)
        #expect(WorkFolder.holder(of: work + "/old") == .unknown)

        #expect(WorkFolder.removeAbandoned(in: work) == ["dead"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).sorted() == ["live", "old"])
        live.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: work) == ["old"])
    }
}
