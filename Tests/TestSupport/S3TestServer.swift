#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The S3 server the tests run against: a real SeaweedFS started by `scripts/test.sh` (through
/// `scripts/seaweedfs.sh`), described by `TAKEVAULT_TEST_S3_ENDPOINT`, `_BUCKET`, `_ACCESS_KEY`
/// and `_SECRET_KEY`. There is no S3 mock: without a server these tests cannot run, and
/// ``S3TestServer/required`` makes that a failure rather than a silent skip.
public struct S3TestServer: Sendable {
    public var endpoint: String
    public var bucket: String
    public var accessKey: String
    public var secretKey: String

    /// The server from the environment, or `nil` when the tests were started without one.
    public static let current: S3TestServer? = {
        func value(_ name: String) -> String? {
            guard let pointer = getenv(name) else { return nil }
            let text = String(cString: pointer)
            return text.isEmpty ? nil : text
        }
        guard let endpoint = value("TAKEVAULT_TEST_S3_ENDPOINT"), let bucket = value("TAKEVAULT_TEST_S3_BUCKET"),
              let access = value("TAKEVAULT_TEST_S3_ACCESS_KEY"), let secret = value("TAKEVAULT_TEST_S3_SECRET_KEY") else { return nil }
        return S3TestServer(endpoint: endpoint, bucket: bucket, accessKey: access, secretKey: secret)
    }()

    /// Whether S3 tests must run (`scripts/test.sh` sets `TAKEVAULT_REQUIRE_S3=1`).
    public static var required: Bool { getenv("TAKEVAULT_REQUIRE_S3").map { String(cString: $0) == "1" } ?? false }

    /// A key prefix no other test uses, so every test sees an empty store.
    public static func freshPrefix(_ label: String) -> String {
        "tests/\(label)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    /// Starts Tests/Fixtures/s3-fault-proxy.py in front of this server with `faults` (its flags);
    /// returns the proxy's PID (stop it with ``killProcess(_:)``) and endpoint.
    public func startFaultProxy(in directory: TestDirectory, _ faults: [String]) -> (pid: pid_t, endpoint: String)? {
        let portFile = directory.file("proxy-\(UInt32.random(in: 0...UInt32.max)).port")
        let pid = startProcess("python3", [RepositoryPaths.root + "/Tests/Fixtures/s3-fault-proxy.py", "--upstream", endpoint, "--port-file", portFile] + faults)
        for _ in 0..<100 where access(portFile, F_OK) != 0 { usleep(100_000) }
        let port = String(decoding: readBytes(portFile), as: UTF8.self)
        guard !port.isEmpty else {
            killProcess(pid)
            return nil
        }
        return (pid, "http://127.0.0.1:\(port)")
    }

    /// The environment a `takevault` process needs to use this server (`--store s3://…`).
    public func environment(extra: [String: String] = [:]) -> [String: String] {
        var result = ["TAKEVAULT_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey]
        for (key, value) in extra { result[key] = value }
        return result
    }
}
