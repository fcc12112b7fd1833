import Foundation

/// Fuzzes the wire decoder and the checks before an update is accepted (tools/fuzz.sh). `FuzzWire seeds DIR` writes
/// the seed corpus. Built plainly, `FuzzWire replay FILE…` runs inputs once (to reproduce a finding without
/// libFuzzer); built with `--sanitize fuzzer -Xswiftc -DFUZZING`, libFuzzer's main runs and any other command line is
/// libFuzzer's. `FUZZWIRE_PKI` names the PKI directory (created if it has no CA) whose CA, client-0 and coordinator
/// sign the seeds and judge the inputs; the seeds and the fuzzing run must use the same one.
enum FuzzWire {
    /// The target the input callback runs (set once, before any input).
    nonisolated(unsafe) static var target: WireFuzzTarget!

    /// Loads the PKI and handles `seeds DIR`; returns the arguments left for the caller.
    static func start(_ arguments: [String]) throws {
        let directory = ProcessInfo.processInfo.environment["FUZZWIRE_PKI"] ?? NSTemporaryDirectory() + "fuzzwire-pki-\(getpid())"
        let pki = try SeedPKI(directory: directory)
        target = WireFuzzTarget(pki: pki, parameters: SeedCorpus.parameters)
        if arguments.count == 3, arguments[1] == "seeds" {
            print("wrote \(try SeedCorpus.write(pki, checkedBy: target, to: arguments[2])) seeds to \(arguments[2]) (PKI \(directory))")
            exit(0)
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    let arguments = (0..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) }
    do { try FuzzWire.start(arguments) } catch { fatalError("FuzzWire: \(error)") }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzWire.target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main enum FuzzWireReplay {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3, ["seeds", "replay"].contains(arguments[1]) else {
            FileHandle.standardError.write(Data("usage: FuzzWire seeds DIR | FuzzWire replay FILE…  (tools/fuzz.sh builds the fuzzer)\n".utf8))
            exit(2)
        }
        try FuzzWire.start(arguments)
        for file in arguments.dropFirst(2) {
            FuzzWire.target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            print("ok \(file)")
        }
    }
}
#endif
