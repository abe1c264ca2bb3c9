// SNS: topics (CreateTopic returns the existing topic when it is there) and their policies.
import { CreateTopicCommand, DeleteTopicCommand, SetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { ignoringMissing, localize, recordLocal, ResourceTranslator, tagList } from "../context";

export const snsTranslators: Record<string, ResourceTranslator> = {
  "aws:sns/topic:Topic": {
    async up(r, ctx) {
      const i = r.inputs;
      const attributes: Record<string, string> = {};
      if (i.displayName) attributes.DisplayName = i.displayName;
      if (i.kmsMasterKeyId) attributes.KmsMasterKeyId = i.kmsMasterKeyId;
      if (i.fifoTopic) attributes.FifoTopic = "true";
      const created = await ctx.clients.sns.send(
        new CreateTopicCommand({ Name: r.mocked.name, Attributes: attributes, Tags: tagList(i.tags) }),
      );
      recordLocal(ctx, r.mocked.arn, created.TopicArn);
    },
    down: (r, ctx) =>
      ignoringMissing(() =>
        ctx.clients.sns.send(
          new DeleteTopicCommand({ TopicArn: localize(r.mocked.arn, ctx.localResources) }),
        ),
      ),
  },
  "aws:sns/topicPolicy:TopicPolicy": {
    up: async (r, ctx) => {
      await ctx.clients.sns.send(
        new SetTopicAttributesCommand({
          TopicArn: r.inputs.arn,
          AttributeName: "Policy",
          AttributeValue: r.inputs.policy,
        }),
      );
    },
  },
};
