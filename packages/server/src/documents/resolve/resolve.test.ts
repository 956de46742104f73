import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutParameterCommand, SSMClient, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../../test-support/engines.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { callProbe, resolveProbe } from './test-support/probe.js';

onEveryEngine('document parameters: binding, Parameter Store references, interpolation', (engine) => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ engine, operations: [resolveProbe] });
  });
  after(async () => {
    await t.stop();
  });
  const put = (input: PutParameterCommandInput) => new SSMClient(t.clientConfig()).send(new PutParameterCommand(input));

  /** A user allowed the probe plus `statements`. */
  async function user(name: string, statements: object[]) {
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: name }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const allow = (more: object[]) =>
      iam.send(new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:CapstanResolveProbe', Resource: '*' }, ...more] }),
      }));
    await allow(statements);
    return { credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, allow };
  }

  test('defaults fill what is not supplied, and supplied text becomes each of the six types', async () => {
    const Declarations = [
      { name: 'message', type: 'String' },
      { name: 'commands', type: 'StringList', default: ['uptime'] },
      { name: 'retries', type: 'Integer', default: 3 },
      { name: 'timeout', type: 'Integer', default: 60 },
      { name: 'dryRun', type: 'Boolean', default: false },
      { name: 'verbose', type: 'Boolean', default: true },
      { name: 'tags', type: 'StringMap', default: { Env: 'dev' } },
      { name: 'mounts', type: 'MapList', default: [{ Device: '/dev/sda1' }] },
      { name: 'devices', type: 'MapList', default: [] },
      { name: 'workingDirectory', type: 'String', default: '' },
    ];
    const r = await callProbe(t, {
      Declarations,
      Parameters: {
        message: ['hello'],
        commands: ['echo a', 'echo b'],
        retries: ['-5'],
        dryRun: ['true'],
        tags: ['{"Env":"prod","Events":["Failed"]}'],
        devices: ['{"Name":"/dev/sdb"}', '[{"Name":"/dev/sdc"},{"Name":"/dev/sdd"}]'],
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.Values, {
      message: 'hello',
      commands: ['echo a', 'echo b'],
      retries: -5,
      timeout: 60,
      dryRun: true,
      verbose: true,
      tags: { Env: 'prod', Events: ['Failed'] },
      mounts: [{ Device: '/dev/sda1' }],
      devices: [{ Name: '/dev/sdb' }, { Name: '/dev/sdc' }, { Name: '/dev/sdd' }],
      workingDirectory: '',
    });
    assert.deepEqual(r.body.Secret, []);
  });

  test('each broken rule is InvalidParameters naming the parameter and the reason, never the value', async () => {
    const cases: [object, Record<string, string[]>, RegExp][] = [
      [{ name: 'a', type: 'String', default: '' }, { b: ['x'] }, /Parameter "b" is not declared/],
      [{ name: 'a', type: 'String' }, {}, /Parameter "a" is required/],
      [{ name: 'a', type: 'Integer' }, { a: ['3.5'] }, /"a" is of type Integer and must be a whole number/],
      [{ name: 'a', type: 'Boolean' }, { a: ['yes'] }, /"a" is of type Boolean and must be true or false/],
      [{ name: 'a', type: 'StringMap' }, { a: ['[1,2]'] }, /"a" is of type StringMap and must be a JSON object/],
      [{ name: 'a', type: 'MapList' }, { a: ['"text"'] }, /"a" is of type MapList and each item must be a JSON object/],
      [{ name: 'a', type: 'String' }, { a: ['one', 'two'] }, /"a" is of type String and takes exactly one value, but 2 were given/],
      [{ name: 'a', type: 'String', allowedValues: ['Scan', 'Install'] }, { a: ['Nuke'] }, /Parameter "a" must be one of: Scan, Install/],
      [{ name: 'a', type: 'StringList', allowedValues: ['x', 'y'] }, { a: ['x', 'z'] }, /Item 2 of parameter "a" must be one of: x, y/],
      [{ name: 'a', type: 'String', allowedPattern: '^[0-9]+$' }, { a: ['hunter2'] }, /Parameter "a" does not match the allowed pattern \^\[0-9\]\+\$/],
      [{ name: 'a', type: 'StringList', minItems: 2 }, { a: ['x'] }, /"a" takes at least 2 item\(s\), but 1 were given/],
      [{ name: 'a', type: 'MapList', maxItems: 1 }, { a: ['{}', '{}'] }, /"a" takes at most 1 item\(s\), but 2 were given/],
      [{ name: 'a', type: 'String', minChars: 8 }, { a: ['hunter2'] }, /"a" must be at least 8 character\(s\) long/],
      [{ name: 'a', type: 'String', maxChars: 4 }, { a: ['hunter2'] }, /"a" must be at most 4 character\(s\) long/],
      [{ name: 'a', type: 'Integer', allowedValues: ['1', '2'] }, { a: ['3'] }, /"a" must be one of: 1, 2/],
    ];
    for (const [declaration, Parameters, reason] of cases) {
      const r = await callProbe(t, { Declarations: [declaration], Parameters });
      assert.equal(r.status, 400, `${JSON.stringify(Parameters)}: ${r.text}`);
      assert.equal(r.body.__type, 'InvalidParameters');
      assert.match(r.body.Message!, reason);
      assert.ok(!r.text.includes('hunter2'), `the value is repeated in ${r.text}`);
    }
    const ok = await callProbe(t, { Declarations: [{ name: 'a', type: 'String', allowedPattern: '(?i)^scan$', minChars: 2, maxChars: 4 }], Parameters: { a: ['SCAN'] } });
    assert.equal(ok.status, 200, 'RE2 inline flags are understood');
  });

  test('interpolation reaches nested strings; a whole reference takes the typed value, a list stays a list', async () => {
    const Content = {
      schemaVersion: '2.2',
      mainSteps: [
        {
          name: 'run',
          inputs: {
            runCommand: '{{ commands }}',
            workingDirectory: '{{workingDirectory}}',
            timeoutSeconds: '{{ executionTimeout }}',
            env: { RETRIES: 'retries={{ retries }}', LIST: 'all: {{ commands }}', TAGS: '{{ tags }}' },
            nested: [['{{ commands }}'], 'keep {{ ssm:/not/mine }} and {{ automation:EXECUTION_ID }} and {{ unknown }}'],
          },
        },
      ],
    };
    const r = await callProbe(t, {
      Declarations: [
        { name: 'commands', type: 'StringList' },
        { name: 'workingDirectory', type: 'String', default: '/tmp' },
        { name: 'executionTimeout', type: 'String', default: '3600' },
        { name: 'retries', type: 'Integer', default: 2 },
        { name: 'tags', type: 'StringMap', default: { a: 'b' } },
      ],
      Parameters: { commands: ['echo "$HOME"', 'echo {{ workingDirectory }}'] },
      Content,
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.Interpolated, {
      schemaVersion: '2.2',
      mainSteps: [
        {
          name: 'run',
          inputs: {
            runCommand: ['echo "$HOME"', 'echo {{ workingDirectory }}'],
            workingDirectory: '/tmp',
            timeoutSeconds: '3600',
            env: { RETRIES: 'retries=2', LIST: 'all: ["echo \\"$HOME\\"","echo {{ workingDirectory }}"]', TAGS: { a: 'b' } },
            nested: [[['echo "$HOME"', 'echo {{ workingDirectory }}']], 'keep {{ ssm:/not/mine }} and {{ automation:EXECUTION_ID }} and {{ unknown }}'],
          },
        },
      ],
    });
  });

  test('{{ssm:/x}}, {{ssm:/x:1}} and StringList references resolve, then are typed and checked', async () => {
    await put({ Name: '/res/greeting', Value: 'hello $& world', Type: 'String' });
    await put({ Name: '/res/greeting', Value: 'bonjour', Type: 'String', Overwrite: true });
    await put({ Name: '/res/cmds', Value: 'uptime,df -h', Type: 'StringList' });
    await put({ Name: '/res/count', Value: '7', Type: 'String' });
    await put({ Name: 'res-flag', Value: 'not-a-boolean', Type: 'String' });
    const Declarations = [
      { name: 'message', type: 'String' },
      { name: 'commands', type: 'StringList' },
      { name: 'count', type: 'Integer', allowedValues: ['7'] },
      { name: 'fromDefault', type: 'String', default: '{{ssm:/res/greeting}}!' },
    ];
    const r = await callProbe(t, {
      Declarations,
      Parameters: { message: ['{{ssm:/res/greeting}} / {{ ssm:/res/greeting:1 }}'], commands: ['echo first', '{{ssm:/res/cmds}}', 'echo last'], count: ['{{ssm:/res/count}}'] },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.Values, { message: 'bonjour / hello $& world', commands: ['echo first', 'uptime', 'df -h', 'echo last'], count: 7, fromDefault: 'bonjour!' });

    const inString = await callProbe(t, { Declarations, Parameters: { message: ['run {{ssm:/res/cmds}}'], commands: ['x'], count: ['7'] } });
    assert.equal(inString.body.__type, 'InvalidParameters');
    assert.match(inString.body.Message!, /"message" uses the StringList parameter \/res\/cmds inside a string/);

    const badType = await callProbe(t, { Declarations: [{ name: 'flag', type: 'Boolean' }], Parameters: { flag: ['{{ssm:res-flag}}'] } });
    assert.equal(badType.body.__type, 'InvalidParameters');
    assert.match(badType.body.Message!, /"flag" is of type Boolean/);
    const notAllowed = await callProbe(t, { Declarations: [{ name: 'count', type: 'Integer', allowedValues: ['8'] }], Parameters: { count: ['{{ssm:/res/count}}'] } });
    assert.match(notAllowed.body.Message!, /"count" must be one of: 8/, 'the resolved value is checked against the rules');
  });

  test('a reference to nothing is InvalidParameters', async () => {
    const decl = [{ name: 'm', type: 'String' }];
    for (const ref of ['{{ssm:/res/absent}}', '{{ssm:/res/greeting:99}}', '{{ssm:/res/greeting:nolabel}}', '{{ssm-secure:/res/absent}}']) {
      const r = await callProbe(t, { Declarations: decl, Parameters: { m: [`x ${ref}`] } });
      assert.equal(r.body.__type, 'InvalidParameters', ref);
      assert.match(r.body.Message!, /Parameter "m" references .* which does not name a parameter in Parameter Store/);
    }
  });

  test('{{ssm-secure:}} resolves and marks the parameter secret; redactSecrets and scrubSecrets hide it', async () => {
    await put({ Name: '/res/db/password', Value: 'S3cr3t-Pa55', Type: 'SecureString' });
    const r = await callProbe(t, {
      Declarations: [
        { name: 'password', type: 'String' },
        { name: 'user', type: 'String', default: 'app' },
      ],
      Parameters: { password: ['{{ssm-secure:/res/db/password}}'] },
      Content: { runCommand: ['login {{ user }} --password {{ password }}'] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Values.password, 'S3cr3t-Pa55');
    assert.deepEqual(r.body.Secret, ['password']);
    assert.deepEqual(r.body.Redacted, { password: '****', user: 'app' });
    assert.deepEqual(r.body.Interpolated, { runCommand: ['login app --password S3cr3t-Pa55'] }, 'the node gets the plaintext');
    assert.deepEqual(r.body.Shown, { runCommand: ['login app --password ****'] });
    assert.deepEqual(r.body.Scrubbed, { runCommand: ['login app --password ****'] });
  });

  test('{{ssm:}} may not name a SecureString, and {{ssm-secure:}} only names SecureStrings', async () => {
    const plain = await callProbe(t, { Declarations: [{ name: 'p', type: 'String' }], Parameters: { p: ['{{ssm:/res/db/password}}'] } });
    assert.equal(plain.body.__type, 'InvalidParameters');
    assert.match(plain.body.Message!, /a SecureString: reference it as \{\{ssm-secure:\/res\/db\/password\}\}/);
    assert.ok(!plain.text.includes('S3cr3t'));
    const secure = await callProbe(t, { Declarations: [{ name: 'p', type: 'String' }], Parameters: { p: ['{{ssm-secure:/res/count}}'] } });
    assert.match(secure.body.Message!, /which is a String, not a SecureString/);
  });

  test('resolving uses the caller\'s permissions: ssm:GetParameter, and kms:Decrypt on a customer key', async () => {
    const key = (await new KMSClient(t.clientConfig()).send(new CreateKeyCommand({}))).KeyMetadata!;
    await put({ Name: '/res/cmk/token', Value: 'cmk-protected-value', Type: 'SecureString', KeyId: key.KeyId! });
    const decl = [{ name: 'token', type: 'String' }];
    const u = await user('resolver', []);
    const noRead = await callProbe(t, { Declarations: decl, Parameters: { token: ['{{ssm:/res/absent}}'] } }, u.credentials);
    assert.equal(noRead.body.__type, 'AccessDeniedException', 'without ssm:GetParameter the caller does not learn the name is unknown');
    assert.match(noRead.body.message ?? noRead.body.Message ?? '', /ssm:GetParameter/);

    await u.allow([{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }]);
    const noDecrypt = await callProbe(t, { Declarations: decl, Parameters: { token: ['{{ssm-secure:/res/cmk/token}}'] } }, u.credentials);
    assert.equal(noDecrypt.body.__type, 'AccessDeniedException');
    assert.match(noDecrypt.text, new RegExp(`kms:Decrypt on resource: ${key.Arn}`));
    assert.ok(!noDecrypt.text.includes('cmk-protected-value'));
    const managedKey = await callProbe(t, { Declarations: decl, Parameters: { token: ['{{ssm-secure:/res/db/password}}'] } }, u.credentials);
    assert.equal(managedKey.body.Values.token, 'S3cr3t-Pa55', 'the AWS-managed key needs no kms:Decrypt of the caller');

    await u.allow([
      { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key.Arn },
    ]);
    const allowed = await callProbe(t, { Declarations: decl, Parameters: { token: ['{{ssm-secure:/res/cmk/token}}'] } }, u.credentials);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.body.Values.token, 'cmk-protected-value');
  });

  test('the plaintext of a secure value never appears in what redactSecrets returns', async () => {
    const plaintext = 'pl41n-t3xt-never-shown';
    await put({ Name: '/res/leak/secret', Value: plaintext, Type: 'SecureString' });
    const r = await callProbe(t, {
      Declarations: [
        { name: 'args', type: 'StringList' },
        { name: 'env', type: 'StringMap' },
        { name: 'mounts', type: 'MapList' },
        { name: 'echo', type: 'String' },
        { name: 'count', type: 'Integer', default: 1 },
      ],
      Parameters: {
        args: ['--user', 'admin', '--token={{ssm-secure:/res/leak/secret}}'],
        env: ['{"TOKEN":"{{ssm-secure:/res/leak/secret}}","MODE":"x"}'],
        mounts: ['{"Options":["ro","key={{ ssm-secure:/res/leak/secret }}"]}'],
        echo: [`repeating ${plaintext} by hand`],
      },
      Content: { runCommand: '{{ args }}', line: 'run {{ args }} {{ env }} {{ mounts }}' },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.Secret, ['args', 'env', 'mounts']);
    assert.ok(JSON.stringify(r.body.Values).includes(plaintext), 'resolved for the run');
    for (const shown of [r.body.Redacted, r.body.Shown, r.body.Scrubbed]) assert.ok(!JSON.stringify(shown).includes(plaintext), JSON.stringify(shown));
    assert.deepEqual(r.body.Redacted, { args: ['****', '****', '****'], env: '****', mounts: '****', echo: 'repeating **** by hand', count: 1 });
  });
});
