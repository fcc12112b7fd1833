// swift-tools-version:6.0
import PackageDescription

let optimised: [CSetting] = [.unsafeFlags(["-O2"])]

let package = Package(
    name: "fedattr",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fedattr", targets: ["fedattr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // C modules only.
        .systemLibrary(name: "CNNG", path: "Sources/CNNG", providers: [.apt(["libnng-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // nng's TLS engine interface implemented over OpenSSL (libssl), registered by Transport.
        .target(name: "CNNGOpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("nng")]),
        // The fused inner loop of the coalition sweep (AVX2+FMA when the CPU has it, else baseline x86-64).
        // The numeric C kernels are optimised in debug builds too: the tests run them on the users' data sizes.
        .target(name: "CCoalitionSweep", cSettings: optimised, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "CCRC32", cSettings: optimised),
        // The first dense layer of a training step on rows in place (AVX-512 or AVX2+FMA), without OpenBLAS's packing.
        .target(name: "CDenseKernel", cSettings: optimised),

        // Foundations: numerics and data, wire format, certificates and signatures, sockets.
        .target(name: "Learning", dependencies: ["CBLAS", "CZlib", "CCoalitionSweep", "CDenseKernel"]),
        .target(name: "Wire", dependencies: ["CCRC32"]),
        .target(name: "PKI", dependencies: ["CCrypto"]),
        .target(name: "Transport", dependencies: ["CNNG", "CNNGOpenSSL"]),
        .target(name: "Options"),

        // Policies: aggregation rules and contribution evaluators.
        .target(name: "Aggregation", dependencies: ["Learning", "Options", "CBLAS"]),
        .target(name: "Attribution", dependencies: ["Learning", "PKI"]),
        // How a client computes its update: honest training and the attacks (the adversarial client).
        .target(name: "Adversary", dependencies: ["Learning", "Wire", "Options"]),

        // The federation: coordinator, client, config, cluster launcher.
        .target(name: "Federation", dependencies: [
            "Learning", "Wire", "PKI", "Transport", "Aggregation", "Attribution", "Adversary", "Options",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Experiments over seeds: runner, statistics, results and reports.
        .target(name: "Experiment", dependencies: [
            "Federation", "Learning", "Adversary",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "fedattr", dependencies: [
            "Federation", "Experiment", "Learning", "PKI", "Attribution", "Aggregation", "Transport", "Wire", "Adversary",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Fuzzes the wire decoder and the pre-acceptance checks (tools/fuzz.sh builds it with libFuzzer; plain builds replay inputs).
        .executableTarget(name: "FuzzWire", dependencies: ["Wire", "PKI", "CZlib"]),

        // Helpers every test target shares: temporary directories, background threads, external tools.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "CZlib"]),
        .testTarget(name: "AggregationTests", dependencies: ["Aggregation"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "TestSupport"]),
        .testTarget(name: "PKITests", dependencies: ["PKI", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "CNNG", "TestSupport"]),
        .testTarget(name: "AttributionTests", dependencies: ["Attribution", "PKI", "TestSupport"]),
        .testTarget(name: "ExperimentTests", dependencies: ["Experiment", "Federation", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "OptionsTests", dependencies: ["Options"]),
        .testTarget(name: "AdversaryTests", dependencies: ["Adversary", "Learning", "Wire", "Options"]),
        // FederationTests also depends on the `fedattr` executable: its process tests run the binary.
        .testTarget(name: "FederationTests", dependencies: ["Federation", "Learning", "Wire", "PKI", "Transport", "Attribution", "Aggregation", "Adversary", "Options", "fedattr", "TestSupport",
                                                               .product(name: "Logging", package: "swift-log")]),
    ]
)
