import Testing
@testable import Attribution

@Test func doublesRoundTripThroughCanonicalText() throws {
    var rng = SplitMix64(seed: 77)
    for _ in 0..<20_000 {
        let d = Double(bitPattern: rng.next())
        guard d.isFinite else { continue }
        let text = JSONValue.object(["v": .double(d)]).serialized
        let back = try #require(try JSONValue.parse(text)["v"]?.doubleValue)
        #expect(back.bitPattern == d.bitPattern)
    }
    #expect(JSONValue.double(.nan).serialized == "\"nan\"")
    #expect(try JSONValue.parse("\"-inf\"").doubleValue == -.infinity)
}

@Test func canonicalTextSortsKeysAndEscapesLikePython() {
    let value = JSONValue.object(["b": .integer(1), "a": .array([.string("x\"y\\z\n\u{01}é"), .bool(true), .null]), "B": .double(1)])
    #expect(value.serialized == "{\"B\":1.0,\"a\":[\"x\\\"y\\\\z\\n\\u0001é\",true,null],\"b\":1}")
}

@Test func parserRejectsMalformedText() throws {
    // Each bad input gets a JSONParseError naming the reason.
    let cases: [(String, String)] = [
        ("{\"a\":1", "unterminated object"), ("{\"a\" 1}", "expected ':'"), ("[1,]", "bad number"),
        ("{\"a\":1}x", "trailing characters"), ("\"abc", "unterminated string"), ("{\"a\":1,\"a\":2}", "duplicate key"),
        ("tru", "bad literal"), ("\"\\q\"", "bad escape"), ("", "unexpected end"),
        // Deep nesting is refused before the recursive parser can exhaust the stack (70,000 levels crashed `verify`).
        (String(repeating: "[", count: 70_000), "nested deeper than 128 levels"),
        (String(repeating: "{\"a\":", count: 129) + "1" + String(repeating: "}", count: 129), "nested deeper than 128 levels"),
    ]
    for (text, reason) in cases {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.hasPrefix(reason), "\(text): \(error)")
        }
    }
    #expect(try JSONValue.parse(" {\"u\":\"\\u00e9\\ud83d\\ude00\"} ")["u"]?.stringValue == "é😀")
    let deepest = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
    #expect(try JSONValue.parse(deepest).arrayValue?.count == 1, "128 levels are fine")
}

@Test func doublesAreWrittenAsPythonReprWrites() {
    // Python's repr(float) — what json.dumps writes — for values around Swift's and Python's format switch points.
    let expected: [(Double, String)] = [
        (9.5e15, "9500000000000000.0"), (-9.5e15, "-9500000000000000.0"), (9007199254740994, "9007199254740994.0"),
        (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-4, "0.0001"), (1e-5, "1e-05"), (2.5e-5, "2.5e-05"),
        (-0.0, "-0.0"), (1e22, "1e+22"), (0.1 + 0.2, "0.30000000000000004"), (1.7976931348623157e308, "1.7976931348623157e+308"),
    ]
    for (value, text) in expected {
        #expect(JSONValue.format(value) == text)
    }
}
