import Testing
@testable import Options

/// `name(key=value;…)` items: what parses, what each malformed item gets, and the typed accessors' range checks.
struct NamedOptionsTests {
    @Test func parsesNamesAndOptions() throws {
        #expect(try NamedOptions(parsing: "krum") == NamedOptions(name: "krum"))
        let o = try NamedOptions(parsing: " attribution-first( generator = gen.safetensors ; batch=32 ) ")
        #expect(o.name == "attribution-first")
        #expect(o.values == ["generator": "gen.safetensors", "batch": "32"])
        #expect(o.description == "attribution-first(batch=32;generator=gen.safetensors)")
        #expect(try NamedOptions(parsing: o.description) == o, "the canonical spelling parses back")
    }

    @Test(arguments: [
        ("", "empty name"), ("(k=1)", "empty name"), ("scale(k=2", "missing closing parenthesis"),
        ("scale(k)", "'k' is not key=value"), ("scale(=2)", "'=2' is not key=value"), ("scale k=2", "options go in parentheses"),
        ("scale(k=1;k=2)", "option 'k' given twice"),
    ])
    func malformedItemsAreRefusedWithTheReason(item: String, reason: String) {
        #expect(throws: OptionsError.self) { try NamedOptions(parsing: item) }
        do { _ = try NamedOptions(parsing: item) } catch {
            guard case let .malformed(_, got) = error else { Issue.record("wrong error \(error)"); return }
            #expect(got.contains(reason), "got '\(got)'")
        }
    }

    @Test func unknownOptionsNameTheValidOnes() throws {
        let o = try NamedOptions(parsing: "trimmed-mean(beta=0.1;gamma=2)")
        #expect(throws: OptionsError.unknownOption(policy: "trimmed-mean", option: "gamma", known: ["beta"])) {
            try o.checkKeys(["beta"])
        }
        try NamedOptions(parsing: "trimmed-mean(beta=0.1)").checkKeys(["beta"])
    }

    @Test func typedAccessorsCheckRanges() throws {
        let o = try NamedOptions(parsing: "p(beta=0.5;f=3;x=abc;flag=yes;mode=stale;seed=7;labels=1|3)")
        #expect(try o.double("missing", default: 0.25, range: 0...1) == 0.25)
        #expect(throws: OptionsError.invalidValue(policy: "p", option: "beta", value: "0.5", expected: "a number in 0.0...0.49")) {
            try o.double("beta", default: 0.1, range: 0...0.49)
        }
        #expect(try o.double("beta", default: 0.1, range: 0...1) == 0.5)
        #expect(try o.integer("f", default: 1, range: 0...5) == 3)
        #expect(throws: OptionsError.self) { try o.integer("f", default: 1, range: 0...2) }
        #expect(throws: OptionsError.self) { try o.integer("x", default: 1, range: 0...2) }
        #expect(throws: OptionsError.self) { try o.double("x", default: 1, range: 0...2) }
        #expect(try o.bool("flag", default: false))
        #expect(throws: OptionsError.self) { try o.bool("x", default: false) }
        #expect(try o.choice("mode", default: "zero", among: ["zero", "stale"]) == "stale")
        #expect(throws: OptionsError.self) { try o.choice("x", default: "zero", among: ["zero", "stale"]) }
        #expect(try o.seed() == 7)
        #expect(try o.integers("labels", range: 0...9) == [1, 3])
        #expect(throws: OptionsError.self) { try o.integers("labels", range: 0...2) }
        #expect(throws: OptionsError.self) { try NamedOptions(parsing: "p(seed=-1)").seed() }
        #expect(throws: OptionsError.self) { try NamedOptions(parsing: "p(beta=nan)").double("beta", default: 0, range: 0...1) }
    }
}
