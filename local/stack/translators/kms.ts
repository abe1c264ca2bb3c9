// KMS: the customer-managed key (found again by a tag naming its URN, since the emulator picks its
// id) and its alias.
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  KeySpec,
  KeyUsageType,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { Declared, ignoringMissing, LocalContext, recordLocal, ResourceTranslator } from "../context";

/** The tag that finds a key again on the next `lethe up --local`. */
export const keyUrnTag = "lethe:urn";

async function findKey(kms: KMSClient, urn: string): Promise<{ KeyId: string; Arn: string } | undefined> {
  let Marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker }));
    for (const k of page.Keys ?? []) {
      const tags = await kms.send(new ListResourceTagsCommand({ KeyId: k.KeyId }));
      if (!tags.Tags?.some((t) => t.TagKey === keyUrnTag && t.TagValue === urn)) continue;
      const meta = (await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata;
      if (meta?.KeyState === "Enabled") return { KeyId: meta.KeyId!, Arn: meta.Arn! };
    }
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  return undefined;
}

async function keyUp(r: Declared, ctx: LocalContext): Promise<void> {
  const kms = ctx.clients.kms;
  const i = r.inputs;
  let key = await findKey(kms, r.urn);
  if (!key) {
    const spec = (i.keySpec ?? i.customerMasterKeySpec) as KeySpec | undefined;
    const created = await kms.send(
      new CreateKeyCommand({
        Description: i.description,
        Policy: i.policy,
        ...(spec ? { KeySpec: spec } : {}),
        ...(i.keyUsage ? { KeyUsage: i.keyUsage as KeyUsageType } : {}),
        Tags: [
          ...Object.entries((i.tags ?? {}) as Record<string, string>).map(([TagKey, TagValue]) => ({
            TagKey,
            TagValue,
          })),
          { TagKey: keyUrnTag, TagValue: r.urn },
        ],
      }),
    );
    key = { KeyId: created.KeyMetadata!.KeyId!, Arn: created.KeyMetadata!.Arn! };
    if (i.enableKeyRotation && (spec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT")
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }));
  }
  recordLocal(ctx, r.mocked.arn, key.Arn);
  recordLocal(ctx, r.mocked.keyId, key.KeyId);
  recordLocal(ctx, r.mocked.id, key.KeyId);
}

async function keyDown(r: Declared, ctx: LocalContext): Promise<void> {
  const key = await findKey(ctx.clients.kms, r.urn);
  if (key)
    await ctx.clients.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
}

async function aliasUp(r: Declared, ctx: LocalContext): Promise<void> {
  const kms = ctx.clients.kms;
  const AliasName = r.inputs.name as string;
  const TargetKeyId = r.inputs.targetKeyId as string;
  let existing: { TargetKeyId?: string } | undefined;
  let Marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ Marker }));
    existing ??= page.Aliases?.find((a) => a.AliasName === AliasName);
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker && !existing);
  if (!existing) await kms.send(new CreateAliasCommand({ AliasName, TargetKeyId }));
  else if (existing.TargetKeyId !== TargetKeyId)
    await kms.send(new UpdateAliasCommand({ AliasName, TargetKeyId }));
}

export const kmsTranslators: Record<string, ResourceTranslator> = {
  "aws:kms/key:Key": { up: keyUp, down: keyDown },
  "aws:kms/alias:Alias": {
    up: aliasUp,
    down: (r, ctx) =>
      ignoringMissing(() => ctx.clients.kms.send(new DeleteAliasCommand({ AliasName: r.inputs.name }))),
  },
};
