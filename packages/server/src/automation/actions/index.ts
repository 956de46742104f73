import { approve } from './approve.js';
import { assertAwsResourceProperty, executeAwsApi, waitForAwsResourceProperty } from './aws-api.js';
import { executeAutomation } from './child.js';
import { branch, loop, updateVariable } from './flow.js';
import { runCommand } from './run-command.js';
import { executeScript } from './script.js';
import type { Action } from './types.js';
import { pause, sleep } from './waiting.js';
import { invokeWebhook } from './webhook.js';

/** The actions Capstan runs. The validator knows more of AWS's (EC2, CloudFormation, Lambda); runbooks using those are refused at creation. */
export const ACTIONS: Readonly<Record<string, Action>> = {
  'aws:sleep': sleep,
  'aws:pause': pause,
  'aws:approve': approve,
  'aws:branch': branch,
  'aws:loop': loop,
  'aws:updateVariable': updateVariable,
  'aws:runCommand': runCommand,
  'aws:executeAwsApi': executeAwsApi,
  'aws:waitForAwsResourceProperty': waitForAwsResourceProperty,
  'aws:assertAwsResourceProperty': assertAwsResourceProperty,
  'aws:executeAutomation': executeAutomation,
  'aws:executeScript': executeScript,
  'aws:invokeWebhook': invokeWebhook,
};
