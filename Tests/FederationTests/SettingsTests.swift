import Foundation
import Testing
import Learning
import Transport
import Wire
@testable import Federation

@Suite struct SettingsTests {
    func tempFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "fedattr-settings-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = try tempFile("rounds: 7\nclients: 4\nmodel: cnn\nevaluators: [marginal, loo]\n")
        let s = try Settings(flags: ["rounds": "9"], environment: ["FEDATTR_ROUNDS": "8", "FEDATTR_CLIENTS": "5"], configFile: file)
        #expect(try s.int(.rounds) == 9)
        #expect(s.source(.rounds) == .flag)
        #expect(try s.int(.clients) == 5)
        #expect(s.source(.clients) == .environment("FEDATTR_CLIENTS"))
        #expect(s.string(.model) == "cnn")
        #expect(s.source(.model) == .file(file))
        #expect(try s.list(.evaluators) == ["marginal", "loo"])
        #expect(s.string(.partition) == "dirichlet:0.5")
        #expect(s.source(.partition) == .defaultValue)
    }

    @Test func environmentVariableNamesFollowTheFlag() {
        #expect(Setting.roundDeadline.environmentVariable == "FEDATTR_ROUND_DEADLINE")
        #expect(Setting.pkiDir.environmentVariable == "FEDATTR_PKI_DIR")
    }

    @Test func misspelledEnvironmentVariablesAreFound() {
        let environment = ["FEDATTR_ROUNDS": "3", "FEDATTR_DATSET": "synthetic", "FEDATTR_TLS_ENGINE": "openssl",
                           "FEDATTR_MIN_CLIENT": "4", "HOME": "/root", "FEDATTRX": "1"]
        #expect(Settings.unknownEnvironmentVariables(environment) == ["FEDATTR_DATSET", "FEDATTR_MIN_CLIENT"])
        #expect(Settings.unknownEnvironmentVariables(["FEDATTR_ROUNDS": "3"]).isEmpty)
        // The marker a process sets when it chose its OpenBLAS kernels at start-up is not a misspelt setting.
        #expect(Settings.unknownEnvironmentVariables([OpenBLASKernel.markerVariable: "SkylakeX"]).isEmpty)
    }

    @Test func unknownKeyInConfigFileIsAnErrorNamingIt() throws {
        let file = try tempFile("roudns: 3\n")
        #expect(throws: FederationError.unknownSetting(key: "roudns", source: "config file \(file)")) {
            try Settings(flags: [:], environment: [:], configFile: file)
        }
    }

    @Test func configFileThatIsNotAMappingIsRefused() throws {
        let file = try tempFile("- a\n- b\n")
        #expect(throws: FederationError.cannotRead(path: file, reason: "expected a mapping of setting: value")) {
            try Settings(flags: [:], environment: [:], configFile: file)
        }
        #expect { try Settings(flags: [:], environment: [:], configFile: "/nonexistent/fedattr.yaml") } throws: { error in
            guard case let .cannotRead(path, _) = error as? FederationError else { return false }
            return path == "/nonexistent/fedattr.yaml"
        }
    }

    /// What each hostile config file gets, before the YAML library sees it (deep nesting crashed it, a 548-byte alias
    /// bomb grew to gigabytes); a flat file with lists, quotes, comments and '*' or '&' inside values still reads.
    @Test func configFilesThatAreNotFlatSettingsAreRefusedBeforeParsing() throws {
        let bomb = "a: &a [\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n"
        let cases: [(String, String)] = [
            (bomb, "uses a YAML anchor or alias (&…); write each value out"),
            ("rounds: *r\n", "uses a YAML anchor or alias (*…); write each value out"),
            ("out: it's\nrounds: *r\n", "uses a YAML anchor or alias (*…); write each value out"),   // an apostrophe opens no quote
            ("rounds: " + String(repeating: "[", count: 5_000) + "\n", "lists or mappings nested more than 8 levels; a config file holds setting: value pairs"),
            ("rounds:\n" + String(repeating: "- ", count: 5_000) + "3\n", "a line indented or nested 10000 characters deep; a config file holds setting: value pairs"),
        ]
        for (text, reason) in cases {
            let file = try tempFile(text)
            #expect(throws: FederationError.cannotRead(path: file, reason: reason), "\(text.prefix(30))") {
                try Settings(flags: [:], environment: [:], configFile: file)
            }
        }
        let directory = NSTemporaryDirectory() + "fedattr-settings-dir-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(throws: FederationError.cannotRead(path: directory, reason: "a directory, not a YAML file")) {
            try Settings(flags: [:], environment: [:], configFile: directory)
        }
        let flat = try tempFile("# a comment with [[[[[[[[[[ and &anchor\nout: 'run*&[[[[[[[[[['\nevaluators:\n  - marginal\n  - loo\ndetectors: norm(z=4)\nattack: \"scale(k=2)\" # *not an alias\n")
        let s = try Settings(flags: [:], environment: [:], configFile: flat)
        #expect(s.string(.out) == "run*&[[[[[[[[[[")
        #expect(try s.list(.evaluators) == ["marginal", "loo"])
        #expect(s.string(.attack) == "scale(k=2)")
        // '&' and '*' inside a plain scalar are text, not an anchor or alias.
        let plain = try Settings(flags: [:], environment: [:], configFile: try tempFile("out: runs&more\npki-dir: a*b\n"))
        #expect(plain.string(.out) == "runs&more" && plain.string(.pkiDir) == "a*b")
    }

    @Test func badValueNamesKeyValueAndSource() throws {
        let s = try Settings(flags: [:], environment: ["FEDATTR_ROUNDS": "many"])
        #expect(throws: FederationError.invalidSetting(key: "rounds", value: "many", source: "environment FEDATTR_ROUNDS",
                                                       expected: "an integer in 1...1000000")) {
            try s.int(.rounds, range: 1...1_000_000)
        }
        let b = try Settings(flags: ["float16": "maybe"], environment: [:])
        #expect(throws: FederationError.invalidSetting(key: "float16", value: "maybe", source: "flag", expected: "true or false")) {
            try b.bool(.float16)
        }
    }

    /// `--model` / FEDATTR_MODEL naming a model the wire cannot carry is refused with the setting, its source and the
    /// parameter count; the bound is the wire's default tensor limit.
    @Test func aModelTheWireCannotCarryIsRefused() throws {
        #expect(ModelSpec.maxParameters == DecodeLimits().maxParameters)
        do {
            _ = try CoordinatorConfig(settings: Settings(flags: [:], environment: ["FEDATTR_MODEL": "mlp:30000,30000"]))
            Issue.record("mlp:30000,30000 was accepted")
        } catch let FederationError.invalidSetting(key, value, source, expected) {
            #expect(key == "model" && value == "mlp:30000,30000" && source == "environment FEDATTR_MODEL")
            #expect(expected.contains("has 923880010 parameters") && expected.contains("at most 50000000"), "got: \(expected)")
        }
    }

    @Test func coordinatorConfigRejectsBadURLSchemeAndUtility() throws {
        let bad = try Settings(flags: ["listen": "http://0.0.0.0:80"], environment: [:])
        #expect(throws: FederationError.invalidSetting(key: "listen", value: "http://0.0.0.0:80", source: "flag",
                                                       expected: "a tls+tcp://, tcp://, ipc:// or inproc:// URL")) {
            try CoordinatorConfig(settings: bad)
        }
        let badUtility = try Settings(flags: ["utility": "f1"], environment: [:])
        #expect(throws: FederationError.invalidSetting(key: "utility", value: "f1", source: "flag", expected: "accuracy or neg-loss")) {
            try CoordinatorConfig(settings: badUtility)
        }
        let badPartition = try Settings(flags: ["partition": "dirichlet:-1"], environment: [:])
        #expect { try CoordinatorConfig(settings: badPartition) } throws: { error in
            guard case let .invalidSetting(key, value, _, expected) = error as? FederationError else { return false }
            return key == "partition" && value == "dirichlet:-1" && expected.contains("alpha must be a positive number")
        }
    }

    @Test func plainTCPOnAnAddressOtherMachinesReachNeedsTheInsecureFlag() throws {
        for url in ["tcp://0.0.0.0:7400", "tcp://10.1.2.3:7400", "tcp://coordinator.example:7400"] {
            let refused = try Settings(flags: ["listen": url], environment: [:])
            #expect { try CoordinatorConfig(settings: refused) } throws: { error in
                guard case let .invalidSetting(key, value, _, expected) = error as? FederationError else { return false }
                return key == "listen" && value == url && expected.contains("--insecure-tcp true") && expected.contains("tls+tcp://")
            }
            let allowed = try Settings(flags: ["listen": url, "insecure-tcp": "true"], environment: [:])
            #expect(try CoordinatorConfig(settings: allowed).tls == nil)
        }
        for url in ["tcp://127.0.0.1:7400", "tcp://localhost:7400", "tcp://[::1]:7400"] {
            #expect(try CoordinatorConfig(settings: Settings(flags: ["listen": url], environment: [:])).listen == url)
        }
    }

    @Test func aFailedFirstDialSaysWhatToCheck() {
        let url = "tls+tcp://coordniator.example:7400"
        #expect(Client.hint(for: .nng(operation: "dial \(url)", code: 8, message: "Try again"), url: url)
                    .contains("'coordniator.example' does not resolve"))
        #expect(Client.hint(for: .connectionRefused, url: url).contains("nothing listens there"))
        #expect(Client.hint(for: .cryptoRefused, url: url).contains("names 'coordniator.example'"))
        #expect(Client.hint(for: .connectionShut, url: url).contains("refused this client's certificate"))
        #expect(Client.hint(for: .invalidURL(url), url: url).contains("'coordniator.example' does not resolve"))
    }

    @Test func clientIDMustNameAShard() throws {
        let s = try Settings(flags: ["id": "alice"], environment: [:])
        #expect(throws: FederationError.badClientID("alice")) { try ClientConfig(settings: s) }
        #expect(try DataSplits.shardIndex(of: "client-12") == 12)
        #expect(try DataSplits.shardIndex(of: "client-0") == 0)
        // One id per shard: no sign, no leading zero, digits only.
        for bad in ["client-+3", "client-03", "client-", "client-1e2", "client- 1", "client--1", "Client-1"] {
            #expect(throws: FederationError.badClientID(bad)) { try DataSplits.shardIndex(of: bad) }
        }
    }

    /// Evaluator lists: options given twice, an empty list and malformed items are refused naming the item; `none` is
    /// no attribution. An empty detector list is refused too.
    @Test func evaluatorListsAreParsedStrictly() throws {
        func config(_ evaluators: String) throws -> CoordinatorConfig {
            try CoordinatorConfig(settings: Settings(flags: ["evaluators": evaluators, "dataset": "synthetic", "clients": "3"], environment: [:]))
        }
        #expect(try config("none").evaluators.isEmpty)
        let parsed = try config("loo, gtg-shapley(seed=3;maxPermutations=20)")
        #expect(parsed.evaluators == ["loo", "gtg-shapley"] && parsed.evaluatorOptions["gtg-shapley"] == ["seed": 3, "maxPermutations": 20])
        let refused: [(String, String)] = [
            ("gtg-shapley(seed=1;seed=2)", "option 'seed' given twice"),
            ("", "evaluator names, comma-separated, or none for no attribution"),
            (" , ", "evaluator names, comma-separated, or none for no attribution"),
            ("loo)", "options go in parentheses"),
            ("banzhaf(samples=many)", "'samples' is 'many'"),
            ("banzhaf(samples=nan)", "'samples' is 'nan'"),
            ("loo,loo", "each evaluator once"),
            ("none,loo", "one of marginal"),
        ]
        for (text, says) in refused {
            #expect { try config(text) } throws: { error in "\(error)".contains(says) }
        }
        // Detectors likewise: none is none, an empty list is refused.
        let noDetectors = try CoordinatorConfig(settings: Settings(flags: ["detectors": "none", "dataset": "synthetic", "clients": "3"], environment: [:]))
        #expect(noDetectors.detectors.isEmpty)
        #expect { try CoordinatorConfig(settings: Settings(flags: ["detectors": " ", "dataset": "synthetic", "clients": "3"], environment: [:])) }
            throws: { error in "\(error)".contains("detector names, comma-separated, or none for no detectors") }
    }

    @Test func serverNameDefaultsToTheURLHostWithLoopbackAsLocalhost() throws {
        #expect(try TransportURL("tls+tcp://127.0.0.1:7400").defaultServerName == "localhost")
        #expect(try TransportURL("tls+tcp://coordinator:7400").defaultServerName == "coordinator")
        #expect(try TransportURL("tls+tcp://[::1]:7400").defaultServerName == "localhost")
    }

    /// Client and coordinator read URLs through the same rule: tls+tcp4:// is TLS for both, a TLS URL without a
    /// host needs --server-name, an unknown scheme or engine is a clear error.
    @Test func configsShareOneURLRuleAndNameTheTLSEngine() throws {
        let client = ["id": "client-0", "coordinator": "tls+tcp4://coordinator:7400"]
        let c = try ClientConfig(settings: Settings(flags: client, environment: [:]))
        #expect(c.tls?.serverName == "coordinator")
        let k = try CoordinatorConfig(settings: Settings(flags: ["listen": "tls+tcp4://0.0.0.0:7400", "tls-engine": "mbedtls"], environment: [:]))
        #expect(k.tls?.engine == .mbedtls)
        #expect(throws: FederationError.invalidSetting(key: "coordinator", value: "tls+tcp://:7400", source: "flag",
                                                       expected: "a URL with a host, or a --server-name")) {
            try ClientConfig(settings: Settings(flags: ["id": "client-0", "coordinator": "tls+tcp://:7400"], environment: [:]))
        }
        let named = try ClientConfig(settings: Settings(flags: ["id": "client-0", "coordinator": "tls+tcp://:7400", "server-name": "coordinator"], environment: [:]))
        #expect(named.tls?.serverName == "coordinator")
        #expect(try ClientConfig(settings: Settings(flags: ["id": "client-0", "coordinator": "tcp4://127.0.0.1:7400"], environment: [:])).tls == nil)
        #expect(throws: FederationError.invalidSetting(key: "coordinator", value: "ws://127.0.0.1:7400", source: "flag",
                                                       expected: "a tls+tcp://, tcp://, ipc:// or inproc:// URL")) {
            try ClientConfig(settings: Settings(flags: ["id": "client-0", "coordinator": "ws://127.0.0.1:7400"], environment: [:]))
        }
        #expect(throws: FederationError.invalidSetting(key: "tls-engine", value: "gnutls", source: "environment FEDATTR_TLS_ENGINE",
                                                       expected: TLSEngine.allCases.map(\.rawValue).joined(separator: " or "))) {
            try CoordinatorConfig(settings: Settings(flags: [:], environment: ["FEDATTR_TLS_ENGINE": "gnutls"]))
        }
        let openssl = try ClientConfig(settings: Settings(flags: client, environment: ["FEDATTR_TLS_ENGINE": "openssl"]))
        #expect(openssl.tls?.engine == .openssl)
    }

    @Test func evaluatorsTakeOptionsAndUnknownNamesOrOptionsAreRefused() throws {
        let ok = try CoordinatorConfig(settings: Settings(flags: ["evaluators": "loo, gtg-shapley(maxPermutations=50;seed=3), banzhaf(samples=500)"], environment: [:]))
        #expect(ok.evaluators == ["loo", "gtg-shapley", "banzhaf"])
        #expect(ok.evaluatorOptions == ["gtg-shapley": ["maxPermutations": 50, "seed": 3], "banzhaf": ["samples": 500]])
        let reasons = ["shapley-approx": "shapley-approx", "gtg-shapley(maxPermutations=lots)": "maxPermutations",
                       "banzhaf(frobnicate=1)": "frobnicate", "loo,loo": "loo"]
        for (bad, named) in reasons {
            #expect("\(bad)") { try CoordinatorConfig(settings: Settings(flags: ["evaluators": bad], environment: [:])) } throws: { error in
                guard case let .invalidSetting(key, _, source, expected) = error as? FederationError else { return false }
                return key == "evaluators" && source == "flag" && "\(error)".contains(named) && !expected.isEmpty
            }
        }
    }
}

@Suite struct AggregationSettingsTests {
    func config(_ flags: [String: String]) throws -> CoordinatorConfig {
        try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
    }

    @Test func rulesAndDetectorsAreReadIntoCanonicalNames() throws {
        let c = try config(["aggregation": "clip(factor=2)+multi-krum(f=2)", "detectors": "norm(z=4),history(m=4;k=2)", "drop-flagged": "true"])
        #expect(c.aggregation == "clip(factor=2)+multi-krum(f=2;m=0)")
        #expect(c.detectors == ["norm(z=4)", "history(k=2;m=4)"])
        #expect(c.dropFlagged && c.spec.rootSize == 0)
        #expect(try config([:]).detectors.count == 6, "every detector on by default")
        #expect(try config(["detectors": "none"]).detectors.isEmpty)
        #expect(try config(["aggregation": "fltrust(root=200)"]).spec.rootSize == 200)
    }

    @Test func outOfRangeOptionsAreRefusedNamingTheSettingKeyAndRange() throws {
        let cases: [(flags: [String: String], key: String, mentions: String)] = [
            (["aggregation": "trimmed-mean(beta=0.5)"], "aggregation", "0 ≤ beta < 0.5"),
            (["aggregation": "krum(f=4)", "clients": "10"], "aggregation", "0...3 for 10 clients"),
            (["aggregation": "clip(bound=-2)+median"], "aggregation", "bound > 0"),
            (["aggregation": "fltrust(root=0)"], "aggregation", "root"),
            (["detectors": "norm(z=-1)"], "detectors", "z > 0"),
            (["detectors": "cosine-median(min=2)"], "detectors", "-1 ≤ min ≤ 1"),
            (["drop-flagged": "maybe"], "drop-flagged", "true or false"),
            (["overlap-rounds": "later"], "overlap-rounds", "true or false"),
            (["min-clients": "5", "clients": "3"], "min-clients", "at most --clients (3): only client-0…client-2 can register"),
            (["out": " "], "out", "a directory path"),
        ]
        for c in cases {
            do {
                _ = try config(c.flags)
                Issue.record("\(c.flags) was accepted")
            } catch let FederationError.invalidSetting(key, _, _, expected) {
                #expect(key == c.key && expected.contains(c.mentions), "\(key): \(expected)")
            }
        }
    }
}
