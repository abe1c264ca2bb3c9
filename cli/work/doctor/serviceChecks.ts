// The stack's own services a batch needs: the Athena workgroup find runs in and its results bucket,
// and the alert topic someone must be subscribed to (owner alerts, deadlines, needs-attention).
import { AthenaClient, GetWorkGroupCommand } from "@aws-sdk/client-athena";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ListSubscriptionsByTopicCommand, SNSClient, Subscription } from "@aws-sdk/client-sns";
import { awsError, DoctorCheck, failed, ok } from "./checks";

export async function athenaChecks(
  clients: { athena: AthenaClient; s3: S3Client },
  workGroup: string,
  resultsBucket: string,
): Promise<DoctorCheck[]> {
  const subject = `athena workgroup ${workGroup}`;
  const checks: DoctorCheck[] = [];
  try {
    const { WorkGroup: wg } = await clients.athena.send(new GetWorkGroupCommand({ WorkGroup: workGroup }));
    if (!wg) throw Object.assign(new Error("no such workgroup"), { name: "InvalidRequestException" });
    const output = wg.Configuration?.ResultConfiguration?.OutputLocation ?? "";
    if (wg.State && wg.State !== "ENABLED")
      checks.push(
        failed("athena workgroup", subject, "must", `the workgroup is ${wg.State}`, "enable the workgroup"),
      );
    else if (!output.startsWith(`s3://${resultsBucket}/`))
      checks.push(
        failed(
          "athena workgroup",
          subject,
          "must",
          `its results go to ${output || "nowhere"}, not the stack's results bucket ${resultsBucket}`,
          "run `pulumi up` to put the workgroup's configuration back",
        ),
      );
    else checks.push(ok("athena workgroup", subject, "must", `enabled, results to ${output}`));
  } catch (err) {
    checks.push(
      failed(
        "athena workgroup",
        subject,
        "must",
        `cannot read the workgroup: ${awsError(err)}`,
        "run `pulumi up` (the workgroup is the program's), and check these credentials may athena:GetWorkGroup",
      ),
    );
  }
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: resultsBucket }));
    checks.push(ok("athena results bucket", `bucket ${resultsBucket}`, "must", "exists"));
  } catch (err) {
    checks.push(
      failed(
        "athena results bucket",
        `bucket ${resultsBucket}`,
        "must",
        `cannot reach the bucket: ${awsError(err)}`,
        "run `pulumi up` (the bucket is the program's)",
      ),
    );
  }
  return checks;
}

export async function alertTopicChecks(sns: SNSClient, topicArn: string): Promise<DoctorCheck[]> {
  const subject = `alert topic ${topicArn}`;
  const subscriptions: Subscription[] = [];
  let token: string | undefined;
  do {
    const page = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }),
    );
    subscriptions.push(...(page.Subscriptions ?? []));
    token = page.NextToken;
  } while (token);
  const confirmed = subscriptions.filter(
    (s) => s.SubscriptionArn && s.SubscriptionArn !== "PendingConfirmation",
  );
  if (confirmed.length > 0)
    return [
      ok(
        "alert subscriptions",
        subject,
        "should",
        `${confirmed.length} confirmed: ${[...new Set(confirmed.map((s) => s.Protocol))].join(", ")}`,
      ),
    ];
  return [
    failed(
      "alert subscriptions",
      subject,
      "should",
      subscriptions.length > 0
        ? `${subscriptions.length} subscription(s), none confirmed`
        : "nobody is subscribed: owner alerts, deadline warnings and batches needing attention reach no one",
      "set lethe:alertEmail and run `pulumi up`, then confirm the e-mail; or subscribe your on-call tool to the topic",
    ),
  ];
}
