// The ID rules every reader shares: exact text, blank lines and stray tabs refused by line, JSON ID
// lists for any character, canonical integers for integer columns.
import { expect } from "chai";
import {
  SubjectIdError,
  canonicalIntegerId,
  jsonNumberAsIntegerId,
  parseIdLines,
  parseIdsJson,
  validateSubjectKeys,
} from "../../runtime/subjects/subjectIds";
import { nonCanonicalIntegers } from "../support/integerIds";

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(SubjectIdError);
    return (err as SubjectIdError).problems;
  }
  throw new Error("expected a SubjectIdError");
}

describe("erasure: subject IDs", () => {
  it("an ID file line is the ID: only \\n or \\r\\n is removed, spaces and a lone \\r stay", () => {
    expect(parseIdLines(" a1\nb2 \r\nc3\r\r\nd4")).to.deep.equal([[" a1"], ["b2 "], ["c3\r"], ["d4"]]);
    expect(parseIdLines("t1\t 7\nt2\t8\r\n", 2)).to.deep.equal([
      ["t1", " 7"],
      ["t2", "8"],
    ]);
  });

  it("a blank line is an error naming each blank line; an empty list is an error", () => {
    expect(problemsOf(() => parseIdLines("a\n\nb\n \r\nc\n"))).to.deep.equal([
      "line 2 is blank",
      "line 4 is blank",
    ]);
    expect(problemsOf(() => parseIdLines(""))).to.deep.equal(["the ID list is empty"]);
    expect(problemsOf(() => parseIdLines("\n"))).to.deep.equal(["line 1 is blank"]);
  });

  it("a tab in a text file separates parts: a part cannot hold one, and wrong arity names the line", () => {
    const problems = problemsOf(() => parseIdLines("a\tb\tc\nd\te\nf\n\tg\n", 2));
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^line 1: 3 part\(s\), but 2 column\(s\) .*cannot be part of an ID/);
    expect(problems[1]).to.equal("line 3: 1 part(s), but 2 column(s) were given");
    expect(problems[2]).to.equal("line 4: part 1 is empty");
    expect(problemsOf(() => parseIdLines("x\ty\n"))[0]).to.match(/^line 1: 2 part\(s\), but 1 column/);
  });

  it("a JSON ID list holds IDs with any characters, and names each bad entry by position", () => {
    expect(parseIdsJson('["a\\tb", "line\\nbreak", " x "]')).to.deep.equal([
      ["a\tb"],
      ["line\nbreak"],
      [" x "],
    ]);
    expect(parseIdsJson('[["t\\t1", "7"], ["t", "1\\t7"]]', 2)).to.deep.equal([
      ["t\t1", "7"],
      ["t", "1\t7"],
    ]);
    expect(problemsOf(() => parseIdsJson('["ok", 7, "", ["a"], null]'))).to.deep.equal([
      "ID 2 is not a string or an array of strings",
      "ID 3: the ID is empty",
      "ID 5 is not a string or an array of strings",
    ]);
    expect(problemsOf(() => parseIdsJson('[["a", "b"], "ab", ["a"]]', 2))).to.deep.equal([
      "ID 2: a composite key is given as an array of its 2 parts",
      "ID 3: 1 part(s), but 2 column(s) were given",
    ]);
    expect(problemsOf(() => parseIdsJson('{"ids": []}'))).to.deep.equal(["a JSON ID list must be an array"]);
    expect(problemsOf(() => parseIdsJson("["))[0]).to.match(/^not valid JSON/);
  });

  it("an ID for an integer column must be the canonical integer, with the reason when it is not", () => {
    const refused = nonCanonicalIntegers;
    const problems = problemsOf(() =>
      validateSubjectKeys(
        refused.map(([id]) => ["t", id]),
        ["string", "integer"],
      ),
    );
    expect(problems).to.have.length(refused.length);
    refused.forEach(([, reason], i) => {
      expect(problems[i]).to.match(new RegExp(`^ID ${i + 1}: part 2 is for an integer column but`));
      expect(problems[i]).to.match(reason);
    });
    expect(
      validateSubjectKeys(
        [
          ["t", "-12"],
          ["t", "0"],
        ],
        ["string", "integer"],
      ),
    ).to.have.length(2);
    // The string part keeps its leading zero: only integer columns ask for canonical integers.
    expect(validateSubjectKeys([["007", "7"]], ["string", "integer"])).to.deep.equal([["007", "7"]]);
  });

  it("canonicalIntegerId is exact beyond 2^53 and refuses what is not canonical", () => {
    expect(canonicalIntegerId("9007199254740993")).to.equal(9007199254740993n);
    expect(canonicalIntegerId("-9223372036854775808")).to.equal(-(2n ** 63n));
    expect(canonicalIntegerId("18446744073709551615")).to.equal(2n ** 64n - 1n);
    for (const bad of ["", "007", "+8", "9.0", "1e3", "-0"]) {
      expect(() => canonicalIntegerId(bad), bad).to.throw(SubjectIdError);
    }
  });

  it("a JSON number's text maps to its exact integer's canonical text, or to none", () => {
    const cases: [string, string | undefined][] = [
      ["9007199254740993", "9007199254740993"],
      ["9007199254740992", "9007199254740992"],
      ["-9223372036854775809", "-9223372036854775809"],
      ["1e3", "1000"],
      ["1000.000", "1000"],
      ["12.5e1", "125"],
      ["-0", "0"],
      ["0.0e5", "0"],
      ["1.5", undefined],
      ["100e-3", undefined],
      ["9007199254740993.5", undefined],
      ["1e999999999", undefined],
      ["1e-999999999", undefined],
    ];
    for (const [text, id] of cases) expect(jsonNumberAsIntegerId(text), text).to.equal(id);
  });
});
