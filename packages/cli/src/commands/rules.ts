import type { Command } from 'commander';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { UsageError } from '../run/parse.js';
import { EVENTS_SERVICE, JsonCaller } from '../rules/caller.js';
import { targetOf, textOrFile, type TargetFlags } from '../rules/flags.js';

interface Rule {
  Name: string;
  State: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  Description?: string;
}

interface Firing {
  FiringId: string;
  RuleName: string;
  TargetId: string;
  EventDetailType: string;
  CreatedTime: number;
  Status: string;
  Attempts: number;
  AutomationExecutionId?: string;
  CommandId?: string;
  HttpStatus?: number;
  ErrorCode?: string;
  ErrorMessage?: string;
}

type Opts = ClientOptions & { json?: boolean };

const caller = (o: ClientOptions) => {
  const config = resolveClientConfig(o);
  return new JsonCaller(config.endpoint, config.region, defaultProvider(), EVENTS_SERVICE);
};
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Pages through a listing, `limit` at most. */
async function all<T>(fetchPage: (token?: string) => Promise<{ items: T[]; next?: string | undefined }>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    out.push(...page.items);
    token = page.next;
  } while (token && out.length < limit);
  return out.slice(0, limit);
}

/** Usage mistakes exit with status 2 and say what to write instead; the server's refusals exit 1. */
function usage<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await run(...args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      console.error(`capstan: ${e.message}`);
      process.exitCode = 2;
    }
  };
}

/**
 * `capstan rules …`: EventBridge rules on Capstan's events, over the same API `aws events`
 * uses, and the record of their firings (docs/event-rules.md).
 */
export function registerRuleCommands(program: Command): void {
  const rules = program.command('rules').description('event rules: run a runbook, a command or a webhook when Capstan publishes a matching event');

  withClientOptions(rules.command('list').description('list rules'))
    .option('--prefix <text>', 'only rules whose names start with this')
    .option('--json', 'print the rules as JSON')
    .action(async (o: Opts & { prefix?: string }) => {
      const c = caller(o);
      const list = await all<Rule>(async (NextToken) => {
        const r = await c.call<{ Rules: Rule[]; NextToken?: string }>('ListRules', { ...(o.prefix ? { NamePrefix: o.prefix } : {}), ...(NextToken ? { NextToken } : {}) });
        return { items: r.Rules, next: r.NextToken };
      });
      if (o.json) return print(list);
      for (const r of list) console.log([r.Name, r.State, r.ScheduleExpression ?? r.EventPattern ?? '', r.Description ?? ''].join('\t'));
    });

  withClientOptions(rules.command('put <name>').description('create or replace a rule'))
    .option('--pattern <json|file://path>', 'the event pattern')
    .option('--schedule <expression>', 'cron(...) or rate(...), e.g. rate(5 minutes)')
    .option('--description <text>', 'description')
    .option('--disabled', 'create it disabled')
    .action(
      usage(async (name: string, o: Opts & { pattern?: string; schedule?: string; description?: string; disabled?: boolean }) => {
        if (!o.pattern && !o.schedule) throw new UsageError('give --pattern or --schedule (or both)');
        const out = await caller(o).call<{ RuleArn: string }>('PutRule', {
          Name: name,
          ...(o.pattern ? { EventPattern: textOrFile(o.pattern) } : {}),
          ...(o.schedule ? { ScheduleExpression: o.schedule } : {}),
          ...(o.description ? { Description: o.description } : {}),
          State: o.disabled ? 'DISABLED' : 'ENABLED',
        });
        console.log(out.RuleArn);
      }),
    );

  withClientOptions(rules.command('delete <name>').description('delete a rule'))
    .option('--with-targets', 'remove its targets first (a rule with targets is not deleted otherwise)')
    .action(async (name: string, o: Opts & { withTargets?: boolean }) => {
      const c = caller(o);
      if (o.withTargets) {
        const targets = await c.call<{ Targets: { Id: string }[] }>('ListTargetsByRule', { Rule: name });
        if (targets.Targets.length) await c.call('RemoveTargets', { Rule: name, Ids: targets.Targets.map((t) => t.Id) });
      }
      await c.call('DeleteRule', { Name: name });
    });

  for (const [verb, op] of [['enable', 'EnableRule'], ['disable', 'DisableRule']] as const) {
    withClientOptions(rules.command(`${verb} <name>`).description(`${verb} a rule`)).action(async (name: string, o: Opts) => {
      await caller(o).call(op, { Name: name });
    });
  }

  withClientOptions(rules.command('targets <rule>').description("list a rule's targets"))
    .option('--json', 'print the targets as JSON')
    .action(async (rule: string, o: Opts) => {
      const c = caller(o);
      const list = await all<{ Id: string; Arn: string; RoleArn?: string }>(async (NextToken) => {
        const r = await c.call<{ Targets: { Id: string; Arn: string; RoleArn?: string }[]; NextToken?: string }>('ListTargetsByRule', { Rule: rule, ...(NextToken ? { NextToken } : {}) });
        return { items: r.Targets, next: r.NextToken };
      });
      if (o.json) return print(list);
      for (const t of list) console.log([t.Id, t.Arn, t.RoleArn ?? ''].join('\t'));
    });

  withClientOptions(rules.command('add-target <rule>').description('add (or replace, by id) a target: a runbook, a Run Command document or an API destination'))
    .requiredOption('--id <id>', 'the target id within the rule')
    .requiredOption('--arn <arn>', 'arn:aws:ssm:REGION:ACCOUNT:automation-definition/NAME, arn:aws:ssm:REGION::document/NAME or an API destination ARN')
    .requiredOption('--role-arn <arn>', 'the role the rule acts as (it must trust events.amazonaws.com)')
    .option('--input <json|file://path>', 'fixed input instead of the event (runbook and document parameters as a JSON object)')
    .option('--input-path <path>', 'the part of the event to pass, e.g. $.detail')
    .option('--input-template <text|file://path>', 'an InputTransformer template, e.g. {"InstanceId": ["<node>"]}')
    .option('--input-path-map <name=path>', 'a template variable, e.g. node=$.detail.instance-id (repeat for more)', collect)
    .option('--run-command-targets <key=values>', 'Run Command targets, e.g. tag:Env=prod (repeat for more)', collect)
    .action(
      usage(async (rule: string, o: Opts & TargetFlags) => {
        const out = await caller(o).call<{ FailedEntryCount: number }>('PutTargets', { Rule: rule, Targets: [targetOf(o)] });
        if (out.FailedEntryCount) throw new Error(`the target was not added: ${JSON.stringify(out)}`);
      }),
    );

  withClientOptions(rules.command('remove-targets <rule> <ids...>').description('remove targets from a rule')).action(async (rule: string, ids: string[], o: Opts) => {
    await caller(o).call('RemoveTargets', { Rule: rule, Ids: ids });
  });

  withClientOptions(rules.command('test').description('test an event pattern against an event'))
    .requiredOption('--pattern <json|file://path>', 'the event pattern')
    .requiredOption('--event <json|file://path>', 'the event, in EventBridge\'s shape')
    .action(async (o: Opts & { pattern: string; event: string }) => {
      const out = await caller(o).call<{ Result: boolean }>('TestEventPattern', { EventPattern: textOrFile(o.pattern), Event: textOrFile(o.event) });
      console.log(out.Result ? 'matches' : 'does not match');
      process.exitCode = out.Result ? 0 : 1;
    });

  withClientOptions(rules.command('firings').description('what the rules did: each target of each matching event, newest first'))
    .option('--rule <name>', 'only this rule')
    .option('--status <PENDING|SUCCEEDED|FAILED>', 'only firings in this state')
    .option('--max <n>', 'how many', '50')
    .option('--json', 'print the firings as JSON (with the events)')
    .action(async (o: Opts & { rule?: string; status?: string; max: string }) => {
      const c = caller(o);
      const list = await all<Firing>(async (NextToken) => {
        const r = await c.call<{ Firings: Firing[]; NextToken?: string }>('CapstanListRuleFirings', { ...(o.rule ? { RuleName: o.rule } : {}), ...(o.status ? { Status: o.status } : {}), ...(NextToken ? { NextToken } : {}) });
        return { items: r.Firings, next: r.NextToken };
      }, Number(o.max));
      if (o.json) return print(list);
      for (const f of list) {
        const result = f.AutomationExecutionId ?? f.CommandId ?? (f.HttpStatus !== undefined ? `HTTP ${f.HttpStatus}` : '');
        console.log([new Date(f.CreatedTime * 1000).toISOString(), f.RuleName, f.TargetId, f.EventDetailType, f.Status, result, f.ErrorCode ? `${f.ErrorCode}: ${f.ErrorMessage}` : ''].join('\t'));
      }
    });
}
