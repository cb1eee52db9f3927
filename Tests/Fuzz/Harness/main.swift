import CLibFuzzer

#if canImport(Glibc)
import Glibc
#endif

// takevault-fuzz TARGET [libFuzzer options] [corpus folders]   — run one target under libFuzzer
// takevault-fuzz --list                                         — the targets, one per line
// scripts/fuzz.sh builds this (TAKEVAULT_FUZZ=1) and runs every target; Tests/Fuzz/README.md.

let arguments = CommandLine.arguments
if arguments.count == 2 && arguments[1] == "--list" {
    for target in FuzzTargets.all { print(target.name) }
    exit(0)
}
guard arguments.count >= 2, let target = FuzzTargets.all.first(where: { $0.name == arguments[1] }) else {
    print("usage: takevault-fuzz TARGET [libFuzzer options] [corpus…]; targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))\n", terminator: "")
    exit(2)
}
FuzzTargets.selected = target

// libFuzzer reads its options from argv: hand it everything after the target's name.
let driverArguments = [arguments[0]] + arguments.dropFirst(2)
var pointers: [UnsafeMutablePointer<CChar>?] = driverArguments.map { strdup($0) } + [nil]
var count = Int32(driverArguments.count)
let status = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&count, &argv) { data, size in
        FuzzTargets.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
exit(status)
