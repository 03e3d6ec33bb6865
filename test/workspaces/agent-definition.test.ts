import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAgentDefinition } from '../../src/agents/definition.ts';

const parse = (text: string) => parseAgentDefinition('coder', '/w/.agh/agents/coder/AGENT.md', text);

describe('AGENT.md parsing', () => {
  test('front matter fields and the body as prompt', () => {
    const d = parse('---\nprovider: gemini\ncommand: gemini --acp\ntoolsets: [web]\n---\n\nHello.\n');
    assert.deepEqual(d, {
      name: 'coder',
      provider: 'gemini',
      command: 'gemini --acp',
      toolsets: ['web'],
      prompt: 'Hello.',
    });
  });

  test('CRLF line endings and a BOM are accepted', () => {
    const d = parse('\uFEFF---\r\nmodel: m\r\n---\r\nBody\r\n');
    assert.equal(d.model, 'm');
    assert.equal(d.prompt, 'Body');
  });

  test('empty front matter is fine; an unterminated one is a diagnostic', () => {
    assert.equal(parse('---\n---\nBody').diagnostics, undefined);
    const d = parse('---\nprovider: codex\nBody without end');
    assert.equal(d.diagnostics?.[0]?.error_kind, 'malformed_frontmatter');
    assert.equal(d.provider, 'claude');
  });

  test('front matter that is not a mapping, or fields of the wrong type, are diagnostics', () => {
    assert.equal(parse('---\n- a\n- b\n---\nBody').diagnostics?.[0]?.error_kind, 'malformed_frontmatter');
    const d = parse('---\nmodel: [x]\ntools: [1]\nprovider: ""\nmcp_servers: [{command: x}]\n---\nBody');
    assert.deepEqual(
      d.diagnostics?.map((x) => x.message),
      [
        'provider must be a non-empty string',
        'model must be a string',
        'tools must be a list of strings',
        'mcp_servers must be a list of {name, command?, args?, env?, transport?, url?}',
      ],
    );
    assert.equal(d.model, undefined);
    assert.equal(d.tools, undefined);
  });

  test('mcp_servers env must map variable names to strings', () => {
    for (const env of ['[a, b]', '{"BAD NAME": x}', '{N: 1}']) {
      const d = parse(`---\nmcp_servers:\n  - name: git\n    env: ${env}\n---\nbody\n`);
      assert.equal(d.mcp_servers, undefined, env);
      assert.match(d.diagnostics?.[0]?.message ?? '', /mcp_servers must be a list/, env);
    }
    const ok = parse('---\nmcp_servers:\n  - name: git\n    env: {GIT_DIR: .git}\n---\nbody\n');
    assert.deepEqual(ok.mcp_servers, [{ name: 'git', env: { GIT_DIR: '.git' } }]);
    assert.equal(parse('---\nmcp_servers: [[name, x]]\n---\nbody\n').mcp_servers, undefined);
  });

  test('unknown fields, an empty prompt and an unknown permission mode are named', () => {
    const d = parse('---\nprovder: codex\npermissions: yolo\n---\n   \n');
    assert.deepEqual(
      d.diagnostics?.map((x) => [x.error_kind, x.path]),
      [
        ['empty_prompt', '/w/.agh/agents/coder/AGENT.md'],
        ['unknown_field', '/w/.agh/agents/coder/AGENT.md'],
        ['invalid_field', '/w/.agh/agents/coder/AGENT.md'],
      ],
    );
    assert.match(d.diagnostics?.[1]?.message ?? '', /unknown field "provder"/);
    assert.match(
      d.diagnostics?.[2]?.message ?? '',
      /permissions must be one of approve_all, read_only, deny_all/,
    );
  });

  test('a provider the catalogue does not know is a diagnostic', () => {
    const d = parseAgentDefinition('coder', 'p', '---\nprovider: mystery\n---\nBody', {
      knownProvider: (n) => n === 'claude',
    });
    assert.equal(d.diagnostics?.[0]?.error_kind, 'unknown_provider');
  });
});
