import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs `executable` with `arguments` (no shell), capturing stdout and stderr.
@discardableResult
public func run(_ executable: String, _ arguments: [String]) -> ProcessResult {
    var outputPipe: [Int32] = [0, 0]
    // Close-on-exec: no other child started meanwhile (by a test running beside this one) inherits
    // this pipe; the spawned child gets its own copy through the dup2 below, which clears the flag.
    precondition(pipe(&outputPipe) == 0)
    for end in outputPipe { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    // stderr goes to an unlinked temporary file, so a chatty child can never block on a full pipe
    // while stdout is being drained.
    var errorTemplate = Array("/tmp/takevault-stderr-XXXXXX".utf8CString)
    let errorFile = errorTemplate.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(errorFile >= 0)
    _ = fcntl(errorFile, F_SETFD, FD_CLOEXEC)
    errorTemplate.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errorFile, 2)
    posix_spawn_file_actions_addclose(&actions, outputPipe[0])
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
    posix_spawn_file_actions_destroy(&actions)
    close(outputPipe[1])
    guard spawned == 0 else {
        close(outputPipe[0]); close(errorFile)
        return ProcessResult(status: 127, standardOutput: "", standardError: "could not start \(executable)")
    }
    let output = drain(outputPipe[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    lseek(errorFile, 0, SEEK_SET)
    let error = drain(errorFile)
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(status: exitStatus, standardOutput: output, standardError: error)
}

private func drain(_ descriptor: Int32) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        bytes += chunk[0..<count]
    }
    close(descriptor)
    return String(decoding: bytes, as: UTF8.self)
}

/// Whether `tool` is on the PATH.
public func toolExists(_ tool: String) -> Bool {
    run("/bin/sh", ["-c", "command -v \(tool)"]).status == 0
}

/// Starts `executable` with `arguments` in the background (output discarded) and returns its pid.
public func startProcess(_ executable: String, _ arguments: [String]) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
    posix_spawn_file_actions_destroy(&actions)
    precondition(spawned == 0, "could not start \(executable)")
    return pid
}

/// Kills `pid` with SIGKILL and reaps it.
public func killProcess(_ pid: pid_t) {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
}

/// Starts `executable` in the background with stdout and stderr appended to `outputPath`, and
/// `environment` added to this process's; returns its pid.
public func startProcess(_ executable: String, _ arguments: [String], outputPath: String, environment: [String: String] = [:]) -> pid_t {
    spawn(executable, arguments, stdout: .file(outputPath), stderrPath: outputPath, environment: environment)
}

/// Starts `executable` in the background with stdout appended to `outputPath` and stderr to
/// `errorPath`, and `environment` added to this process's; returns its pid.
public func startProcess(_ executable: String, _ arguments: [String], outputPath: String, errorPath: String, environment: [String: String] = [:]) -> pid_t {
    spawn(executable, arguments, stdout: .file(outputPath), stderrPath: errorPath, environment: environment)
}

/// Starts `executable` in the background with its stdout on a pipe this process reads, and its
/// stderr appended to `logPath`; returns its pid and the pipe's read end (close it when done).
public func startProcessPiped(_ executable: String, _ arguments: [String], logPath: String,
                              environment: [String: String] = [:]) -> (pid: pid_t, output: Int32) {
    var ends: [Int32] = [0, 0]
    precondition(pipe(&ends) == 0, "pipe failed")
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    let pid = spawn(executable, arguments, stdout: .pipe(write: ends[1], read: ends[0]), stderrPath: logPath, environment: environment)
    close(ends[1])
    return (pid, ends[0])
}

/// Reads `descriptor` line by line until a line starts with `prefix`; returns that line, or `nil`
/// at end of file (the writer exited). Blocks: no polling, no timer.
public func readLine(from descriptor: Int32, startingWith prefix: String) -> String? {
    var pending: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        let count = read(descriptor, &byte, 1)
        if count < 0 && errno == EINTR { continue }
        guard count == 1 else { return nil }
        if byte == 0x0a {
            let line = String(decoding: pending, as: UTF8.self)
            if line.hasPrefix(prefix) { return line }
            pending.removeAll(keepingCapacity: true)
        } else {
            pending.append(byte)
        }
    }
}

private enum StandardOutput {
    case file(String)
    case pipe(write: Int32, read: Int32)
}

private func spawn(_ executable: String, _ arguments: [String], stdout: StandardOutput, stderrPath: String,
                   environment: [String: String]) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    switch stdout {
    case .file(let path):
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderrPath == path {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
    case .pipe(let write, let read):
        posix_spawn_file_actions_adddup2(&actions, write, 1)
        posix_spawn_file_actions_addclose(&actions, write)
        posix_spawn_file_actions_addclose(&actions, read)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var variables: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let name = text.split(separator: "=", maxSplits: 1).first, environment[String(name)] == nil { variables.append(text) }
        pointer += 1
    }
    variables += environment.map { "\($0.key)=\($0.value)" }
    let envp = variables.map { strdup($0) } + [nil]
    defer { envp.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, envp)
    posix_spawn_file_actions_destroy(&actions)
    precondition(spawned == 0, "could not start \(executable)")
    return pid
}

/// Sends `signal` to `pid` and waits up to `seconds` for it to exit; returns its exit status, or
/// `nil` if it was still running (it is then killed).
@discardableResult
public func stopProcess(_ pid: pid_t, signal: Int32, seconds: Double) -> Int32? {
    kill(pid, signal)
    var status: Int32 = 0
    var waited = 0.0
    while waited < seconds {
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        usleep(50_000)
        waited += 0.05
    }
    killProcess(pid)
    return nil
}

/// How a child started with failpoints armed (`TAKEVAULT_TEST_STOP_AT`) came to rest.
public enum ChildRest: Equatable, Sendable {
    /// Stopped itself at an armed point: it can be killed or continued there.
    case stopped
    /// Exited with this status before reaching one.
    case exited(Int32)
    /// Killed by this signal.
    case signalled(Int32)
}

/// Blocks until `pid` stops (SIGSTOP at a failpoint) or ends; no polling, no timer.
public func waitUntilStopped(_ pid: pid_t) -> ChildRest {
    var status: Int32 = 0
    while waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR {}
    if status & 0xff == 0x7f { return .stopped }
    if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
    return .signalled(status & 0x7f)
}

/// Blocks until `pid` exits; returns its exit status (128 + the signal when a signal ended it).
public func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Runs `body` — a blocking wait: a child process, a command to its end — on a thread of its own,
/// not on one of the few threads Swift's concurrency pool has (two on a two-core machine): a test
/// blocking those for a minute would freeze every other async test in the process meanwhile, and
/// the servers they talk to would time their stalled requests out.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
