import AudioCodecs
import Crypto
import Hummingbird
import NIOPosix
import RelayAPI
import TakePipeline
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a request body into its staged upload in the store (sealed segment by segment) and a
/// transient copy in the spool's `incoming/` folder, checking as it goes: the first bytes must be
/// audio (else 415), a declared duration and the running size must stay in limits (else 413); it
/// hashes while writing. Memory stays one network buffer plus one staging segment deep.
struct UploadReceiver {
    var maxBytes: Int64
    var maxDurationSeconds: Double

    /// A body received whole: staged, and a transient copy at `path` (for the duration probe).
    struct Received {
        var path: String
        var bytes: Int64
        /// The body's SHA-256.
        var digest: [UInt8]
        var format: AudioSniffer.Format

        /// The SHA-256 in lower-case hex, as the request signs it.
        var sha256: String { digest.hex }
    }

    /// Receives `body` into `path`, calling `reserve` with the running byte count before each
    /// buffer is written (it throws to refuse). On any refusal or error the partial file is gone.
    /// Every byte also goes to `staging`, the upload staged in the store, as it arrives (its
    /// segments written while the body keeps coming); the caller finishes or discards it. The copy
    /// at `path` is not synced: the staged upload is the durable one.
    func receive(_ body: RequestBody, into path: String, staging: StagedUploadWriter, reserve: (Int64) throws -> Void) async throws -> Received {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RelayRefusal.spool("cannot create a spool file: \(String(cString: strerror(errno)))") }
        var closed = false
        do {
            var hasher = SHA256()
            var total: Int64 = 0
            var head: [UInt8] = []
            var format: AudioSniffer.Format?
            var durationChecked = false
            for try await buffer in body {
                total += Int64(buffer.readableBytes)
                guard total <= maxBytes else {
                    throw RelayRefusal.tooLarge("upload_too_large", "The upload is larger than the limit of \(maxBytes) bytes.")
                }
                try reserve(total)
                try buffer.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    do { try SystemIO.writeAll(descriptor, raw) } catch let failure as SystemCallFailure {
                        throw RelayRefusal.spool("cannot write to the spool: \(failure.detail)")
                    }
                    staging.append(raw)
                }
                if staging.hasFullSegment { try await staging.writeFullSegments() }
                if !durationChecked {
                    let wanted = AudioSniffer.headerWindow - head.count
                    if wanted > 0 { head += buffer.getBytes(at: buffer.readerIndex, length: min(wanted, buffer.readableBytes)) ?? [] }
                    if format == nil && head.count >= AudioSniffer.magicBytes {
                        format = try Self.sniff(head)
                    }
                    if let format, let declared = AudioSniffer.declaredDuration(of: head, format: format) {
                        try checkDuration(declared)
                        durationChecked = true
                    } else if head.count >= AudioSniffer.headerWindow {
                        durationChecked = true
                    }
                }
            }
            let sniffed = try format ?? Self.sniff(head)
            close(descriptor)
            closed = true
            return Received(path: path, bytes: total, digest: Array(hasher.finalize()), format: sniffed)
        } catch {
            if !closed { close(descriptor) }
            unlink(path)
            throw error
        }
    }

    func checkDuration(_ seconds: Double) throws {
        guard seconds <= maxDurationSeconds else {
            throw RelayRefusal.tooLarge("upload_too_long", "The take lasts \(Int(seconds)) s; the limit is \(Int(maxDurationSeconds)) s.")
        }
    }

    private static func sniff(_ head: [UInt8]) throws -> AudioSniffer.Format {
        guard let format = AudioSniffer.format(of: head) else {
            throw RelayRefusal.unsupported("The upload is not audio in a container takevault reads (WAV, RF64, W64, AIFF, FLAC, Ogg, CAF, AU, MP3).")
        }
        return format
    }
}
