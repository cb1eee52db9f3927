// swift-tools-version: 6.1
import PackageDescription

// Release builds of takevault's own targets use the CPU's SIMD: AVX2 + FMA (x86-64-v3, which the
// Swift driver names `haswell`; `x86-64-v3` is not a CPU name it accepts). Default Swift release
// builds emit SSE only, which halves the throughput of the DSP kernels.
//
// `TAKEVAULT_CPU=baseline swift build -c release` builds for plain x86-64 instead (any 64-bit x86
// CPU); `TAKEVAULT_CPU=<name>` picks another `-target-cpu` (e.g. `skylake-avx512`). Debug builds
// never get CPU flags, so tests run the same code paths everywhere. Dependencies are untouched:
// unsafe flags apply only because takevault is built as the root package.
let cpuChoice = Context.environment["TAKEVAULT_CPU"] ?? "haswell"

#if arch(x86_64)
let simdSettings: [SwiftSetting] = cpuChoice == "baseline"
    ? []
    : [.unsafeFlags(["-target-cpu", cpuChoice, "-Xcc", "-march=\(cpuChoice)"], .when(configuration: .release))]
#else
let simdSettings: [SwiftSetting] = []
#endif

// `TAKEVAULT_FUZZ=1` is the fuzz build (scripts/fuzz.sh, Tests/Fuzz/README.md): takevault's own
// targets are compiled with libFuzzer's coverage instrumentation and AddressSanitizer, and the
// harness `takevault-fuzz` joins the package. Dependencies are built as usual. Never set for
// shipping builds or the tests.
let fuzzing = Context.environment["TAKEVAULT_FUZZ"] == "1"
let fuzzSettings: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let ourSettings: [SwiftSetting] = simdSettings + fuzzSettings

// AudioDSP is compiled with optimisation in debug builds too. Unoptimised SIMD code runs one to two
// orders of magnitude slower, and the conformance tests push minutes of audio through the meters;
// the kernels' behaviour does not depend on the optimiser (scalar references in the tests check it).
let dspSettings: [SwiftSetting] = ourSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "takevault",
    // Built and tested on Linux only. The macOS floor is what the sources need (Synchronization's
    // Mutex); every Glibc import has a Darwin branch, but no macOS build is checked here.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "takevault", targets: ["takevault"]),
        .library(name: "AudioCodecs", targets: ["AudioCodecs"]),
        .library(name: "AudioDSP", targets: ["AudioDSP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The shared catalog of a vault on several nodes (TakeCatalogPostgres): PostgreSQL's wire
        // protocol, a connection pool, LISTEN/NOTIFY. SQL is ours, written against both databases.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // S3Store's transport (streaming bodies, connection pooling, timeouts). The S3 protocol on
        // top — SigV4 signing, XML, multipart, retries — is ours: no S3 SDK is available here.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The relay hand-off service (`takevault serve`): HTTP server, graceful shutdown, metrics.
        // Hummingbird without its default traits: takevault reads its own configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // HTTPRequestPart/HTTPResponsePart, for the relay's connection guards in Hummingbird's pipeline.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Allocation counts for the benchmark gate (Benchmarks/Allocations). Only the malloc
        // interposer trait: the default traits want a runtime interposer that is not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // System libraries (Debian -dev packages, found through pkg-config).
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFLAC", pkgConfig: "flac", providers: [.apt(["libflac-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "COpusEnc", pkgConfig: "libopusenc", providers: [.apt(["libopusenc-dev"])]),
        // libogg: page parsing for reading previews back (OggOpusReader).
        .systemLibrary(name: "COgg", pkgConfig: "ogg", providers: [.apt(["libogg-dev"])]),
        // OpenSSL's libcrypto, for AES-256-GCM on chunks only (see Sources/CLibCrypto/shim.h).
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The reference loudness meter: tests and benchmarks compare against it; nothing ships with it.
        .systemLibrary(name: "CEbur128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        // The reference resampler: benchmarks only.
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),

        // The base every module above AudioDSP stands on: reason-coded errors, the domain's small
        // values (ids and their rule, tiers, JSON values, participants), the one POSIX layer
        // (retrying system calls, whole reads and writes, atomic files, file digests) and hex.
        // One system call Swift's Glibc module leaves out (sync_file_range, a GNU extension).
        .target(name: "CWriteback"),
        .target(
            name: "TakevaultCore",
            dependencies: ["CWriteback", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: ourSettings
        ),
        .target(name: "AudioDSP", swiftSettings: dspSettings),
        .target(
            name: "AudioCodecs",
            dependencies: ["TakevaultCore", "AudioDSP", "CSndFile", "CFLAC", "COpus", "COpusEnc", "COgg"],
            swiftSettings: ourSettings
        ),
        .target(
            name: "TakeArchive",
            dependencies: ["TakevaultCore", "CLibCrypto", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: ourSettings
        ),
        .target(
            name: "ObjectStore",
            dependencies: [
                "TakevaultCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: ourSettings
        ),
        .target(
            name: "TakeCatalog",
            dependencies: ["TakevaultCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: ourSettings
        ),
        // The catalog contract on PostgreSQL: one database shared by every node of a vault.
        .target(
            name: "TakeCatalogPostgres",
            dependencies: [
                "TakevaultCore", "TakeCatalog",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: ourSettings
        ),
        .target(
            name: "TakePipeline",
            dependencies: [
                "TakevaultCore", "AudioDSP", "AudioCodecs", "TakeArchive", "ObjectStore", "TakeCatalog", "TakeCatalogPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // ByteBuffer: delivery opens chunks straight into the buffers the relay sends.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: ourSettings
        ),
        // The relay's wire protocol (request signing, metadata, job documents) and its client.
        .target(
            name: "RelayAPI",
            dependencies: [
                "TakevaultCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: ourSettings
        ),
        // `takevault serve`: signed uploads to the spool, the job queue and workers, health, metrics.
        .target(
            name: "RelayServer",
            dependencies: [
                "TakevaultCore", "RelayAPI", "TakePipeline", "TakeCatalog", "TakeArchive", "AudioCodecs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: ourSettings
        ),
        .executableTarget(
            name: "takevault",
            dependencies: [
                "RelayAPI",
                "RelayServer",
                "TakevaultCore",
                "AudioCodecs",
                "AudioDSP",
                "TakePipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: ourSettings
        ),

        // Ratios against the reference C libraries on the same buffers (run by scripts/bench.sh).
        .executableTarget(
            name: "takevault-ratios",
            dependencies: ["AudioDSP", "CEbur128", "CSoxr"],
            path: "Benchmarks/Ratios",
            swiftSettings: ourSettings
        ),

        // Pipeline costs: sealing against AES-GCM, ingest against the codecs alone, memory in take length.
        .executableTarget(
            name: "takevault-pipeline-bench",
            dependencies: [
                "TakevaultCore", "TakePipeline", "TakeArchive", "ObjectStore", "TakeCatalog", "AudioCodecs", "CLibCrypto", "RelayAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/Pipeline",
            swiftSettings: ourSettings
        ),

        // Allocation counts per block and per chunk, gated against Thresholds/ (scripts/bench.sh).
        .executableTarget(
            name: "Allocations",
            dependencies: ["AudioDSP", "AudioCodecs", "TakeArchive", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/Allocations",
            swiftSettings: ourSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // Helpers every test target shares: temporary directories, child processes, seeded noise.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Synthesised WAVs and exact decoding (libsndfile, libFLAC) for tests that check samples, and
        // the independent meter (libebur128) that checks what takevault renders.
        .target(name: "AudioTestSupport", dependencies: ["AudioCodecs", "TestSupport", "CEbur128"], path: "Tests/AudioTestSupport"),
        // The relay tests' keys, takes and signed requests, in-process and against `serve` alike.
        .target(name: "RelayTestSupport", dependencies: ["RelayAPI", "TestSupport", "AudioTestSupport"], path: "Tests/RelayTestSupport"),
        .testTarget(name: "TakevaultCoreTests", dependencies: ["TakevaultCore", "TestSupport"]),
        .testTarget(name: "AudioDSPTests", dependencies: ["AudioDSP", "TestSupport", "CEbur128"]),
        .testTarget(name: "AudioCodecsTests", dependencies: ["TakevaultCore", "AudioCodecs", "AudioDSP", "CSndFile", "CEbur128", "TestSupport", "AudioTestSupport"]),
        .testTarget(name: "TakeArchiveTests", dependencies: ["TakeArchive", "TakevaultCore", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "TakeCatalogTests", dependencies: [
            "TakeCatalog", "TakeCatalogPostgres", "TakevaultCore", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "TakePipelineTests", dependencies: ["TakePipeline", "TakeArchive", "ObjectStore", "TakeCatalog", "AudioCodecs", "AudioDSP", "TestSupport", "AudioTestSupport"]),
        .testTarget(name: "RelayAPITests", dependencies: ["RelayAPI"]),
        .testTarget(
            name: "RelayServerTests",
            dependencies: [
                "RelayServer", "RelayAPI", "TakeArchive", "TakePipeline", "TakevaultCore", "AudioCodecs", "TestSupport", "AudioTestSupport", "RelayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(
            name: "TakevaultCLITests",
            dependencies: [
                "takevault", "TakePipeline", "TakeArchive", "TakevaultCore", "ObjectStore", "RelayAPI",
                "TestSupport", "AudioTestSupport", "RelayTestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

if fuzzing {
    package.products.append(.executable(name: "takevault-fuzz", targets: ["takevault-fuzz"]))
    package.targets += [
        // libFuzzer's driver entry point (the runtime comes with the toolchain's -sanitize=fuzzer).
        .systemLibrary(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .executableTarget(
            name: "takevault-fuzz",
            dependencies: [
                "CLibFuzzer", "TakevaultCore", "AudioCodecs", "TakeArchive", "RelayAPI", "ObjectStore", "TakePipeline",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/Fuzz/Harness",
            swiftSettings: ourSettings,
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
        ),
    ]
}
