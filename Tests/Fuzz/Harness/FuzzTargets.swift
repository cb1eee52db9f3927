/// The fuzz targets: one for every parser of bytes that arrive from outside takevault (the
/// network, an uploaded file, the store). Each takes the fuzzer's bytes and must return without
/// crashing, hanging or allocating without bound, whatever they are; a target that finds a
/// property broken (a round trip that does not round-trip) traps on purpose so libFuzzer reports it.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

enum FuzzTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "header-check", run: ContainerFuzzing.headerCheck),
        FuzzTarget(name: "audio-sniffer", run: ContainerFuzzing.sniffer),
        FuzzTarget(name: "audio-decode", run: DecoderFuzzing.decode),
        FuzzTarget(name: "ogg-opus", run: DecoderFuzzing.oggOpus),
        FuzzTarget(name: "relay-headers", run: RelayFuzzing.headers),
        FuzzTarget(name: "upload-metadata", run: RelayFuzzing.metadata),
        FuzzTarget(name: "delivery-headers", run: DeliveryFuzzing.headers),
        FuzzTarget(name: "manifest-open", run: ArchiveFuzzing.manifest),
        FuzzTarget(name: "chunk-open", run: ArchiveFuzzing.chunk),
        FuzzTarget(name: "key-unwrap", run: ArchiveFuzzing.keyObject),
        FuzzTarget(name: "policy-open", run: ArchiveFuzzing.policy),
        FuzzTarget(name: "s3-xml", run: StoreFuzzing.xml),
    ]

    /// The target libFuzzer drives; set once, before the driver starts.
    nonisolated(unsafe) static var selected: FuzzTarget?

    static func run(_ data: UnsafeRawBufferPointer) {
        selected?.run(Array(data))
    }
}

/// libFuzzer's conventional entry point. The harness drives libFuzzer itself (main.swift), but
/// the runtime's own `main` object is linked in too and names this symbol.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
