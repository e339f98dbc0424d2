import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protoRoot from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

/**
 * History ⇄ proto JSON (the form `temporal workflow show --output json` prints). The SDK's own
 * historyToJSON/historyFromJSON pair uses the protobufjs copy of @temporalio/common, which npm may
 * install apart from the copy @temporalio/proto built its types with; protobufjs then refuses the type
 * ("type must be a Type"). This uses the copy that built the types.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const protoDir = dirname(require.resolve('@temporalio/proto/package.json'));
const nested = join(protoDir, 'node_modules', 'protobufjs', 'ext', 'protojson.js');
const protojson = require(existsSync(nested) ? nested : 'protobufjs/ext/protojson') as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
};
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
};
/* eslint-enable @typescript-eslint/no-require-imports */

type History = temporal.api.history.v1.IHistory;

const historyType = patchProtobufRoot(protoRoot).lookupType('temporal.api.history.v1.History');

/**
 * The history as proto JSON, without what says where it was recorded: failure stack traces (paths of
 * the recording machine) and worker identities and sticky queues (pid@host). Replay reads neither.
 */
const WORKER_NAME = /^\d+@\S+$/;
export function historyToJson(history: History): string {
  return JSON.stringify(
    protojson.toJson(historyType, history),
    (key, value: unknown) =>
      key === 'stackTrace'
        ? ''
        : key === 'identity' || (typeof value === 'string' && WORKER_NAME.test(value))
          ? 'recorder'
          : value,
    1,
  );
}

export function historyFromJson(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
