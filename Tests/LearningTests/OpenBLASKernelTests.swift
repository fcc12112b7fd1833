import Foundation
import Testing
@testable import Learning

/// Which OpenBLAS kernel family fedattr restarts with: only when OpenBLAS fell back to Prescott, only when the
/// environment names none, and only one the CPU's flags support.
struct OpenBLASKernelTests {
    static let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    @Test func prescottOnAnAVX512CPUGetsSkylakeXAndOnAnAVX2CPUHaswell() {
        #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: [:], cpuFlags: Self.avx512) == "SkylakeX")
        #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: [:], cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
        // AVX-512 foundation alone (no BW/DQ/VL, as on Xeon Phi) is not enough for the SkylakeX kernels.
        #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: [:], cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        // AVX2 without FMA, or nothing known: keep the generic kernels.
        #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: [:], cpuFlags: ["avx", "avx2"]) == nil)
        #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: [:], cpuFlags: []) == nil)
    }

    @Test func aKernelOpenBLASChoseOrTheEnvironmentNamesIsKept() {
        for core in ["SkylakeX", "Haswell", "Zen", "Sandybridge"] {
            #expect(OpenBLASKernel.preferredCore(current: core, environment: [:], cpuFlags: Self.avx512) == nil)
        }
        for set in ["Prescott", "Haswell", ""] {
            #expect(OpenBLASKernel.preferredCore(current: "Prescott", environment: ["OPENBLAS_CORETYPE": set], cpuFlags: Self.avx512) == nil)
        }
    }

    @Test func flagsComeFromTheFirstProcessorsFlagsLine() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 fma\nbugs\t\t: none\n\nprocessor\t: 1\nflags\t\t: fpu\n"
        #expect(OpenBLASKernel.cpuFlags(cpuinfo: cpuinfo) == ["fpu", "sse2", "avx2", "fma"])
        #expect(OpenBLASKernel.cpuFlags(cpuinfo: "processor\t: 0\n").isEmpty)
        #expect(OpenBLASKernel.cpuFlags(cpuinfo: "").isEmpty)
    }
}
