import ObjectStore
import TakePipeline

#if canImport(Glibc)
import Glibc
#endif

/// S3Store against SeaweedFS, the local store on the same machine, and `aws s3 cp` (awscli) on the
/// same file and the same server, in one run. Reported, not gated: loopback throughput measures this
/// machine's disk and SeaweedFS as much as takevault.
enum S3TransferBenchmark {
    struct Result {
        var chunkPutMBps: Double, chunkGetMBps: Double
        var localPutMBps: Double, localGetMBps: Double
        var fileUploadMBps: Double, fileDownloadMBps: Double
        var awsUploadMBps: Double, awsDownloadMBps: Double
        var ingestS3Seconds: Double, ingestLocalSeconds: Double
    }

    static func run(server: [String: String], scratch: String, take: String) async throws -> Result {
        let endpoint = server["TAKEVAULT_TEST_S3_ENDPOINT"]!, bucket = server["TAKEVAULT_TEST_S3_BUCKET"]!
        let environment = ["TAKEVAULT_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": server["TAKEVAULT_TEST_S3_ACCESS_KEY"]!,
                           "AWS_SECRET_ACCESS_KEY": server["TAKEVAULT_TEST_S3_SECRET_KEY"]!]
        let prefix = "bench-\(getpid())"
        let s3 = S3Store(configuration: try S3Configuration.from(url: "s3://\(bucket)/\(prefix)", region: "eu-west-1", environment: environment))
        let local = try LocalStore(root: scratch + "/local-store")
        let tags = ObjectTags(owner: "bench", tier: .studio, kind: .chunk, retainUntil: nil)

        // 64 objects of 4 MiB (the archive's chunk size), eight at a time.
        let chunk = (0..<(4 * 1_048_576)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let names = (0..<64).map { "chunks/\($0)" }
        let megabytes = Double(names.count * chunk.count) / 1e6
        func timed(_ body: () async throws -> Void) async rethrows -> Double {
            let start = Measure.wall()
            try await body()
            return Measure.wall() - start
        }
        func putAll(_ store: any ObjectStore) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask { for index in stride(from: lane, to: names.count, by: 8) { try await store.put(names[index], data: chunk, tags: tags, createOnly: false) } }
                }
                try await group.waitForAll()
            }
        }
        func getAll(_ store: any ObjectStore) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask { for index in stride(from: lane, to: names.count, by: 8) { _ = try await store.get(names[index]) } }
                }
                try await group.waitForAll()
            }
        }
        let s3Put = try await timed { try await putAll(s3) }
        let s3Get = try await timed { try await getAll(s3) }
        let localPut = try await timed { try await putAll(local) }
        let localGet = try await timed { try await getAll(local) }

        // One 256 MiB file: S3Store's multipart upload and streamed download against aws s3 cp.
        let file = scratch + "/object.bin"
        let handle = fopen(file, "wb")!
        for _ in 0..<64 { _ = chunk.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) } }
        fclose(handle)
        let upload = try await timed { try await s3.upload("file/object.bin", fromFile: file, tags: tags, createOnly: false) }
        let download = try await timed { try await s3.download("file/object.bin", to: scratch + "/object.down") }
        let aws = "AWS_ACCESS_KEY_ID='\(environment["AWS_ACCESS_KEY_ID"]!)' AWS_SECRET_ACCESS_KEY='\(environment["AWS_SECRET_ACCESS_KEY"]!)' "
            + "AWS_DEFAULT_REGION=eu-west-1 aws --endpoint-url '\(endpoint)' s3 cp --only-show-errors"
        let awsUpload = try await timed { guard system("\(aws) '\(file)' 's3://\(bucket)/\(prefix)/aws/object.bin'") == 0 else { throw BenchmarkError.tool("aws s3 cp (upload)") } }
        let awsDownload = try await timed { guard system("\(aws) 's3://\(bucket)/\(prefix)/aws/object.bin' '\(scratch)/object.aws'") == 0 else { throw BenchmarkError.tool("aws s3 cp (download)") } }

        // Ingest of the 5-minute take into a vault on each store.
        let s3Vault = try Vault.initialize(at: scratch + "/s3-vault", environment: environment, store: "s3://\(bucket)/\(prefix)/vault")
        let ingestS3 = try await timed { _ = try await Ingest(vault: s3Vault).run(IngestRequest(path: take, owner: "bench", tier: .studio)) }
        let localVault = try Vault.initialize(at: scratch + "/local-vault", environment: [:])
        let ingestLocal = try await timed { _ = try await Ingest(vault: localVault).run(IngestRequest(path: take, owner: "bench", tier: .studio)) }

        // Leave the server as found.
        try await s3.delete(try await s3.list(prefix: "").map(\.name))
        _ = system("rm -rf '\(scratch)/local-store' '\(scratch)/s3-vault' '\(scratch)/local-vault' '\(file)' '\(scratch)/object.down' '\(scratch)/object.aws'")
        let fileMB = Double(64 * chunk.count) / 1e6
        return Result(chunkPutMBps: megabytes / s3Put, chunkGetMBps: megabytes / s3Get, localPutMBps: megabytes / localPut, localGetMBps: megabytes / localGet,
                      fileUploadMBps: fileMB / upload, fileDownloadMBps: fileMB / download, awsUploadMBps: fileMB / awsUpload, awsDownloadMBps: fileMB / awsDownload,
                      ingestS3Seconds: ingestS3, ingestLocalSeconds: ingestLocal)
    }

    enum BenchmarkError: Error { case tool(String) }
}
