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
}
