// Athena: the workgroup (result location and encryption, scan cutoff, enforced configuration).
import {
  CreateWorkGroupCommand,
  DeleteWorkGroupCommand,
  EncryptionOption,
  GetWorkGroupCommand,
} from "@aws-sdk/client-athena";
import { ResourceTranslator, tagList } from "../context";

async function workgroupExists(
  athena: import("@aws-sdk/client-athena").AthenaClient,
  WorkGroup: string,
): Promise<boolean> {
  try {
    // moto answers an unknown workgroup with an empty WorkGroup.
    return (await athena.send(new GetWorkGroupCommand({ WorkGroup }))).WorkGroup !== undefined;
  } catch (err) {
    // AWS answers an unknown workgroup with InvalidRequestException.
    if ((err as { name?: string }).name === "InvalidRequestException") return false;
    throw err;
  }
}

export const athenaTranslators: Record<string, ResourceTranslator> = {
  "aws:athena/workgroup:Workgroup": {
    async up(r, ctx) {
      const athena = ctx.clients.athena;
      const Name = r.mocked.name as string;
      // The emulator cannot update a workgroup: an existing one is kept as it is.
      if (await workgroupExists(athena, Name)) return;
      const c = r.inputs.configuration ?? {};
      const enc = c.resultConfiguration?.encryptionConfiguration;
      await athena.send(
        new CreateWorkGroupCommand({
          Name,
          Description: r.inputs.description,
          Tags: tagList(r.inputs.tags),
          Configuration: {
            ResultConfiguration: {
              OutputLocation: c.resultConfiguration?.outputLocation,
              ...(enc
                ? {
                    EncryptionConfiguration: {
                      EncryptionOption: enc.encryptionOption as EncryptionOption,
                      KmsKey: enc.kmsKeyArn,
                    },
                  }
                : {}),
            },
            EnforceWorkGroupConfiguration: c.enforceWorkgroupConfiguration,
            PublishCloudWatchMetricsEnabled: c.publishCloudwatchMetricsEnabled,
            BytesScannedCutoffPerQuery: c.bytesScannedCutoffPerQuery,
          },
        }),
      );
    },
    async down(r, ctx) {
      if (await workgroupExists(ctx.clients.athena, r.mocked.name))
        await ctx.clients.athena.send(
          new DeleteWorkGroupCommand({ WorkGroup: r.mocked.name, RecursiveDeleteOption: true }),
        );
    },
  },
};
