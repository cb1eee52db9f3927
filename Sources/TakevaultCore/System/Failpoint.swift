#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named points in long operations where a test can freeze the process, to kill it exactly there
/// (crash safety) or to run another operation beside it (coordination), instead of hoping a timer
/// lands in the right window.
///
/// `TAKEVAULT_TEST_STOP_AT=name[,name…]` in the environment arms them: each time the process
/// reaches an armed point it stops itself with `SIGSTOP`; the test sees the stop (`waitpid` with
/// `WUNTRACED`), acts, then sends `SIGKILL` or `SIGCONT` (and meets the next armed point). Unarmed, a point costs one load of a
/// value read once at start. The variable only lets a process stop itself: whoever can set it can
/// already do that.
public enum Failpoint {
    /// Every point, for the tests that walk them all (and so a renamed point fails those tests).
    public static let all: [String] = [
        ingestLocked, ingestSealed, ingestCommitted, reprocessSealed, reprocessCommitted, rotationKeyWritten, rekeyRewrapped, rotationRewrapped, sweepStepApplied,
        erasureShredded, erasureObjectsDeleted, lockWaiting, deletionLocked, relayUploadReceived,
    ]
    /// Ingest: its locks are held; nothing is read or written yet (not even the owner's key).
    public static let ingestLocked = "ingest.locked"
    /// Ingest: every chunk of the take is in the store, the manifest is not.
    public static let ingestSealed = "ingest.sealed"
    /// Ingest: the manifest is committed, the catalog does not list the take yet.
    public static let ingestCommitted = "ingest.committed"
    /// Reprocess: a take's new derived artefacts are stored, its new manifest is not.
    public static let reprocessSealed = "reprocess.sealed"
    /// Reprocess: a take's new generation is committed and indexed; the old one is not retired.
    public static let reprocessCommitted = "reprocess.committed"
    /// Key rotation: the next master key is on disk beside the current one, nothing rewrapped.
    public static let rotationKeyWritten = "rotation.key-written"
    /// Key rotation: an owner due for a re-key has a new key version and their take keys are
    /// rewrapped under it; older versions still hold their take-wrapping keys.
    public static let rekeyRewrapped = "rotation.rekey-rewrapped"
    /// Key rotation: every owner key is rewrapped, the next key has not replaced the current one.
    public static let rotationRewrapped = "rotation.rewrapped"
    /// Sweep: one step of the plan applied, the rest not.
    public static let sweepStepApplied = "sweep.step-applied"
    /// Any operation: a lock it needs is held by another, and it is about to wait for it.
    public static let lockWaiting = "lock.waiting"
    /// Deletion of takes: the owner's lock is held and the takes are chosen; nothing is deleted yet.
    public static let deletionLocked = "deletion.locked"
    /// Relay upload: the body is whole and checked, its full segments are in the store; no lock is
    /// held, the last segment and the seal are not written, no job is recorded.
    public static let relayUploadReceived = "relay.upload-received"
    /// Erasure: the owner's keys are destroyed and the master key rotated; their objects remain.
    public static let erasureShredded = "erasure.shredded"
    /// Erasure: the owner's objects are deleted; the catalog still names them.
    public static let erasureObjectsDeleted = "erasure.objects-deleted"

    private static let armed: Set<String> = {
        guard let value = getenv("TAKEVAULT_TEST_STOP_AT") else { return [] }
        return Set(String(cString: value).split(separator: ",").map(String.init))
    }()

    /// Stops the process here if the environment armed `name`.
    public static func reach(_ name: String) {
        guard !armed.isEmpty, armed.contains(name) else { return }
        raise(SIGSTOP)
    }
}
