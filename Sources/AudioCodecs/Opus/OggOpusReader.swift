#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AudioDSP
import COgg
import COpus

/// Reads an Ogg Opus file back as planar float audio at 48 kHz, as a player would hear it: the
/// OpusHead's pre-skip dropped, the last page's granule position trimming the padding, the header's
/// output gain applied.
///
/// Written to check previews before they are committed, so it calls libopus directly (libogg for
/// the pages): libsndfile and libopusfile decode through libopus's multistream API, which recomputes
/// the decoder's size — and with it runs CPUID — on every packet. Under virtualisation each CPUID
/// traps to the hypervisor: measured here, that doubled the decode's CPU time (0.55 s → 1.03 s for
/// five minutes of 128 kbps stereo). Channel mapping family 0 (mono, stereo: every preview) decodes
/// with a plain `OpusDecoder`; families 1 and 255 go through `OpusMSDecoder`, as they must.
///
/// Strict, because a damaged preview must not pass for a good one: a page that fails its CRC, a
/// hole in the packet sequence, a packet libopus refuses or a stream without its end-of-stream page
/// is ``CodecFailure/opusStreamError(path:detail:)``. Reads one logical stream (the first); memory
/// is one read buffer and one block. Not thread-safe.
public final class OggOpusReader {
    /// The longest Opus packet: 120 ms at 48 kHz.
    static let maximumPacketFrames = 5_760
    /// Frames in a block handed to the caller (a few packets, so analysis runs on long spans).
    public static let blockFrames = 16_384
    static let readBytes = 65_536

    public let path: String
    /// Decoded channels, in Vorbis channel order.
    public let channels: Int
    /// Always 48 kHz: Opus decodes at 48 kHz whatever rate the encoder was fed.
    public let sampleRate = 48_000
    /// Samples dropped at the start (the encoder's look-ahead), from the OpusHead.
    public let preSkip: Int
    /// The OpusHead's output gain, dB (applied to every sample).
    public let outputGainDB: Double
    public let mappingFamily: Int
    /// Frames delivered so far.
    public private(set) var framesDelivered: Int64 = 0

    private let file: UnsafeMutablePointer<FILE>
    private let sync: UnsafeMutablePointer<ogg_sync_state>
    private let stream: UnsafeMutablePointer<ogg_stream_state>
    private let decoder: Decoder
    private let serial: Int32
    private let gain: Float
    private let packetBuffer: UnsafeMutablePointer<Float>
    private let block: PlanarScratch
    /// Where the next packet's frames go in ``block``, per channel.
    private let destinations: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    /// Samples per channel decoded so far, pre-skip included: what granule positions count.
    private var decodedSamples: Int64 = 0
    private var reachedEnd = false

    /// The two decoders libopus offers; both write interleaved floats.
    private enum Decoder {
        case single(OpaquePointer)
        case multistream(OpaquePointer)
    }

    /// Opens `path` and reads its OpusHead and OpusTags.
    public init(path: String) throws {
        self.path = path
        guard let file = fopen(path, "rb") else { throw CodecFailure.io(operation: "open", path: path, errno: errno) }
        self.file = file
        let sync = UnsafeMutablePointer<ogg_sync_state>.allocate(capacity: 1)
        ogg_sync_init(sync)
        let stream = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
        self.sync = sync
        self.stream = stream
        var streamReady = false
        func release() {
            if streamReady { ogg_stream_clear(stream) }
            ogg_sync_clear(sync)
            sync.deallocate()
            stream.deallocate()
            fclose(file)
        }

        let head: OpusIdentificationHeader
        do {
            let (first, serial) = try Self.firstPacket(file: file, sync: sync, stream: stream, path: path) { streamReady = true }
            head = try OpusIdentificationHeader(parsing: first, path: path)
            self.serial = serial
            var tags = ogg_packet()
            guard try Self.nextPacket(&tags, file: file, sync: sync, stream: stream, serial: serial, path: path),
                  tags.bytes >= 8, UnsafeBufferPointer(start: tags.packet, count: 8).elementsEqual("OpusTags".utf8) else {
                throw CodecFailure.opusStreamError(path: path, detail: "the second packet is not OpusTags")
            }
        } catch {
            release()
            throw error
        }

        var error: Int32 = 0
        let created: Decoder?
        if head.mappingFamily == 0 {
            created = opus_decoder_create(48_000, Int32(head.channels), &error).map(Decoder.single)
        } else {
            created = head.mapping.withUnsafeBufferPointer { mapping in
                opus_multistream_decoder_create(48_000, Int32(head.channels), Int32(head.streams), Int32(head.coupledStreams), mapping.baseAddress!, &error)
            }.map(Decoder.multistream)
        }
        guard let created, error == OPUS_OK else {
            release()
            throw CodecFailure.opusStreamError(path: path, detail: "libopus refused the OpusHead: \(String(cString: opus_strerror(error)))")
        }
        decoder = created
        channels = head.channels
        preSkip = head.preSkip
        outputGainDB = Double(head.outputGainQ78) / 256
        mappingFamily = head.mappingFamily
        gain = Float(Decibels.toLinear(outputGainDB))
        packetBuffer = .allocate(capacity: Self.maximumPacketFrames * channels)
        block = PlanarScratch(channels: channels, frames: Self.blockFrames)
        destinations = .allocate(capacity: channels)
        destinations.initialize(repeating: block.mutablePointers[0])
    }

    deinit {
        switch decoder {
        case .single(let decoder): opus_decoder_destroy(decoder)
        case .multistream(let decoder): opus_multistream_decoder_destroy(decoder)
        }
        packetBuffer.deallocate()
        destinations.deallocate()
        ogg_stream_clear(stream)
        ogg_sync_clear(sync)
        sync.deallocate()
        stream.deallocate()
        fclose(file)
    }

    /// Channel roles for analysis (BS.1770 weights), in the stream's Vorbis order.
    public var layout: [ChannelRole] { ChannelRole.vorbisLayout(channels: channels) }

    /// The planar channels of the last ``read()``.
    public var channelPointers: UnsafeBufferPointer<UnsafePointer<Float>> { block.readOnly }

    /// Decodes the next packets into ``channelPointers`` and returns the frames there; 0 at the end.
    public func read() throws -> Int {
        var filled = 0
        while !reachedEnd && filled + Self.maximumPacketFrames <= Self.blockFrames {
            var packet = ogg_packet()
            guard try Self.nextPacket(&packet, file: file, sync: sync, stream: stream, serial: serial, path: path) else {
                throw CodecFailure.opusStreamError(path: path, detail: "the file ends before its end-of-stream page")
            }
            let frames = try decode(packet)
            let packetStart = decodedSamples
            decodedSamples += Int64(frames)
            // End trimming: the last page's granule position counts the samples that are audio.
            var end = Int64(frames)
            if packet.e_o_s != 0 {
                reachedEnd = true
                if packet.granulepos >= 0 { end = max(0, min(end, packet.granulepos - packetStart)) }
            }
            let start = max(0, min(end, Int64(preSkip) - packetStart))
            let kept = Int(end - start)
            guard kept > 0 else { continue }
            for channel in 0..<channels { destinations[channel] = block.mutablePointers[channel] + filled }
            Deinterleave.floats(UnsafeBufferPointer(start: packetBuffer + Int(start) * channels, count: kept * channels),
                                into: UnsafeBufferPointer(destinations), frames: kept)
            if gain != 1 {
                for channel in 0..<channels { Gain.apply(gain, to: destinations[channel], into: destinations[channel], count: kept) }
            }
            filled += kept
        }
        framesDelivered += Int64(filled)
        return filled
    }

    private func decode(_ packet: ogg_packet) throws -> Int {
        let frames = switch decoder {
        case .single(let decoder):
            opus_decode_float(decoder, packet.packet, Int32(packet.bytes), packetBuffer, Int32(Self.maximumPacketFrames), 0)
        case .multistream(let decoder):
            opus_multistream_decode_float(decoder, packet.packet, Int32(packet.bytes), packetBuffer, Int32(Self.maximumPacketFrames), 0)
        }
        guard frames >= 0 else {
            throw CodecFailure.opusStreamError(path: path, detail: "packet \(packet.packetno): \(String(cString: opus_strerror(frames)))")
        }
        return Int(frames)
    }
}

// MARK: - Pages and packets

extension OggOpusReader {
    /// The first packet of the first logical stream (its beginning-of-stream page), and its serial.
    private static func firstPacket(
        file: UnsafeMutablePointer<FILE>, sync: UnsafeMutablePointer<ogg_sync_state>, stream: UnsafeMutablePointer<ogg_stream_state>,
        path: String, streamStarted: () -> Void
    ) throws -> ([UInt8], Int32) {
        var page = ogg_page()
        let found: Bool
        do { found = try nextPage(&page, file: file, sync: sync, path: path) } catch CodecFailure.opusStreamError {
            throw CodecFailure.opusStreamError(path: path, detail: "not an Ogg stream (no page at its start)")
        }
        guard found else { throw CodecFailure.opusStreamError(path: path, detail: "no Ogg page") }
        guard ogg_page_bos(&page) != 0 else { throw CodecFailure.opusStreamError(path: path, detail: "the first page does not begin a stream") }
        let serial = ogg_page_serialno(&page)
        ogg_stream_init(stream, serial)
        streamStarted()
        ogg_stream_pagein(stream, &page)
        var packet = ogg_packet()
        guard ogg_stream_packetout(stream, &packet) == 1 else {
            throw CodecFailure.opusStreamError(path: path, detail: "the first page holds no complete packet")
        }
        return (Array(UnsafeBufferPointer(start: packet.packet, count: packet.bytes)), serial)
    }

    /// The stream's next packet, reading pages as needed; `false` when the file ends. The packet's
    /// bytes belong to libogg and stay valid until the next call.
    private static func nextPacket(
        _ packet: inout ogg_packet, file: UnsafeMutablePointer<FILE>, sync: UnsafeMutablePointer<ogg_sync_state>,
        stream: UnsafeMutablePointer<ogg_stream_state>, serial: Int32, path: String
    ) throws -> Bool {
        while true {
            switch ogg_stream_packetout(stream, &packet) {
            case 1:
                return true
            case 0:
                var page = ogg_page()
                repeat {
                    guard try nextPage(&page, file: file, sync: sync, path: path) else { return false }
                } while ogg_page_serialno(&page) != serial
                guard ogg_stream_pagein(stream, &page) == 0 else {
                    throw CodecFailure.opusStreamError(path: path, detail: "page \(ogg_page_pageno(&page)) does not follow its stream")
                }
            default:
                throw CodecFailure.opusStreamError(path: path, detail: "a page is missing before packet \(packet.packetno)")
            }
        }
    }

    /// The next page whose CRC holds; `false` at the end of the file.
    private static func nextPage(_ page: inout ogg_page, file: UnsafeMutablePointer<FILE>, sync: UnsafeMutablePointer<ogg_sync_state>, path: String) throws -> Bool {
        while true {
            switch ogg_sync_pageout(sync, &page) {
            case 1:
                return true
            case 0:
                guard let buffer = ogg_sync_buffer(sync, readBytes) else {
                    throw CodecFailure.opusStreamError(path: path, detail: "out of memory")
                }
                let count = fread(buffer, 1, readBytes, file)
                if count == 0 {
                    if ferror(file) != 0 { throw CodecFailure.io(operation: "read", path: path, errno: errno) }
                    return false
                }
                ogg_sync_wrote(sync, count)
            default:
                // libogg skipped bytes: a page failed its CRC or the data lost its framing.
                throw CodecFailure.opusStreamError(path: path, detail: "damaged Ogg page (bad CRC or lost sync)")
            }
        }
    }
}

/// The identification header (RFC 7845 §5.1).
struct OpusIdentificationHeader {
    var channels: Int
    var preSkip: Int
    var outputGainQ78: Int16
    var mappingFamily: Int
    var streams: Int
    var coupledStreams: Int
    var mapping: [UInt8]

    init(parsing bytes: [UInt8], path: String) throws {
        func fail(_ detail: String) -> CodecFailure { .opusStreamError(path: path, detail: detail) }
        guard bytes.count >= 19, bytes.starts(with: Array("OpusHead".utf8)) else { throw fail("the first packet is not OpusHead") }
        // Version: the major part (high nibble) must be 0; minor versions stay readable.
        guard bytes[8] >> 4 == 0 else { throw fail("OpusHead version \(bytes[8]) is not one this reader knows") }
        channels = Int(bytes[9])
        preSkip = Int(bytes[10]) | Int(bytes[11]) << 8
        outputGainQ78 = Int16(bitPattern: UInt16(bytes[16]) | UInt16(bytes[17]) << 8)
        mappingFamily = Int(bytes[18])
        guard channels > 0 else { throw fail("OpusHead declares no channels") }
        if mappingFamily == 0 {
            guard channels <= 2 else { throw fail("channel mapping family 0 with \(channels) channels") }
            streams = 1
            coupledStreams = channels - 1
            mapping = channels == 1 ? [0] : [0, 1]
        } else {
            guard bytes.count >= 21 + channels else { throw fail("OpusHead is too short for its channel mapping table") }
            streams = Int(bytes[19])
            coupledStreams = Int(bytes[20])
            mapping = Array(bytes[21..<(21 + channels)])
            guard streams > 0, coupledStreams <= streams else { throw fail("OpusHead declares \(streams) streams, \(coupledStreams) coupled") }
        }
    }
}
