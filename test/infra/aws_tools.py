"""Checks deployable artifacts with the tools AWS users trust (test/infra/awsTools.test.ts).

Reads one JSON object on stdin:
  {"policies": [{"name", "document"}], "queries": [{"name", "sql"}], "schedules": [{"name", "expression"}]}
and prints one JSON object: the findings per artifact (empty lists when clean), plus what each
query parses to when printed back in the Athena dialect.
"""

import json
import re
import sys

import sqlglot
from aws_cron_expression_validator.validator import AWSCronExpressionValidator
from parliament import analyze_policy_string


def policy_findings(document):
    policy = analyze_policy_string(json.dumps(document))
    return [
        {"issue": f.issue, "detail": f.detail if isinstance(f.detail, str) else json.dumps(f.detail)}
        for f in policy.findings
    ]


def query_findings(sql):
    try:
        statements = sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.ParseError as err:
        return [str(err)], None
    if len(statements) != 1:
        return [f"{len(statements)} statements, expected one"], None
    return [], statements[0].sql(dialect="athena")


# EventBridge rate expressions: a positive whole number and a unit, singular exactly when the value is 1.
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


def schedule_findings(expression):
    rate = RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return ["a rate must be a positive number"]
        if (value == 1) != (not unit.endswith("s")):
            return [f"rate({value} {unit}): the unit must be singular for 1 and plural otherwise"]
        return []
    cron = re.match(r"^cron\((.*)\)$", expression)
    if cron:
        try:
            AWSCronExpressionValidator.validate(cron.group(1))
        except ValueError as err:
            return [str(err)]
        return []
    return ["neither rate(...) nor cron(...)"]


def main():
    given = json.load(sys.stdin)
    out = {"policies": [], "queries": [], "schedules": []}
    for p in given.get("policies", []):
        out["policies"].append({"name": p["name"], "findings": policy_findings(p["document"])})
    for q in given.get("queries", []):
        findings, printed = query_findings(q["sql"])
        out["queries"].append({"name": q["name"], "findings": findings, "printed": printed})
    for s in given.get("schedules", []):
        out["schedules"].append({"name": s["name"], "findings": schedule_findings(s["expression"])})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
