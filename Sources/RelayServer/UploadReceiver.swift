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

/// Streams a request body into the spool's `incoming/` folder, checking as it goes: the first bytes
/// must be audio (else 415), a declared duration and the running size must stay in limits (else
/// 413); it hashes while writing and fsyncs at the end. Memory stays one network buffer deep.
struct UploadReceiver {
    var maxBytes: Int64
    var maxDurationSeconds: Double

    /// A body on disk, complete and synced.
    struct Received {
        var path: String
        var bytes: Int64
        var sha256: String
        var format: AudioSniffer.Format
    }

    /// Receives `body` into `path`, calling `reserve` with the running byte count before each
    /// buffer is written (it throws to refuse). On any refusal or error the partial file is gone.
    /// With `staging`, every byte also goes to the staged upload in the store as it arrives (its
    /// segments written while the body keeps coming); the caller finishes or discards it.
    func receive(_ body: RequestBody, into path: String, staging: StagedUploadWriter? = nil, reserve: (Int64) throws -> Void) async throws -> Received {
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
                    staging?.append(raw)
                }
                if let staging, staging.hasFullSegment { try await staging.writeFullSegments() }
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
            try await NIOThreadPool.singleton.runIfActive {
                do { try SystemIO.sync(descriptor) } catch let failure as SystemCallFailure {
                    throw RelayRefusal.spool("cannot sync the spool file: \(failure.detail)")
                }
            }
            close(descriptor)
            closed = true
            return Received(path: path, bytes: total, sha256: hasher.finalize().hexString, format: sniffed)
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
