/** runService and runProgram as a user meets them: real processes, real signals, exit codes. */
import { type RunningService, startService } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = 'packages/service-kit/src/testing/main-fixture.ts';
const running: RunningService[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.signal('SIGKILL');
    await p.exited;
  }
});

function start(behave: string, env: Record<string, string> = {}): RunningService {
  const p = startService(FIXTURE, [`--behave=${behave}`], env);
  running.push(p);
  return p;
}
const messages = (p: RunningService) => p.logs().map((l) => l.msg);

describe('runService', () => {
  it('starts the service and, on SIGTERM, stops it and exits 0', async () => {
    const p = start('serve');
    await p.waitForLine(/"started"/);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(messages(p)).toEqual(['started', 'stopping', 'stopped']);
  });

  it('exits 1 with the reason when the service cannot be created', async () => {
    const p = start('fail-create');
    expect(await p.exited).toBe(1);
    expect(p.logs()).toMatchObject([
      { level: 60, msg: 'fixture failed to start', err: { message: 'no store' } },
    ]);
  });

  it('takes a start that gives up because of a stop for the stop, not a failure', async () => {
    const p = start('abandon-start');
    await p.waitForLine(/"started"/);
    p.signal('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});

describe('runProgram', () => {
  it('exits with the code the run resolves with', async () => {
    expect(await start('exit-3').exited).toBe(3);
  });

  it('asks the run to finish early on a signal, naming it, and exits with what the run returns', async () => {
    const p = start('until-signal');
    await p.waitForLine(/"running"/);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(5);
    expect(p.logs().find((l) => l.msg === 'finishing early')?.reason).toBe('SIGTERM');
  });

  it('leaves at once on a second signal, with 128 + its number', async () => {
    const p = start('ignore-signal');
    await p.waitForLine(/"running"/);
    p.signal('SIGTERM');
    await p.waitForLine(/ignoring the stop/);
    p.signal('SIGINT');
    expect(await p.exited).toBe(130);
  });

  it('exits 1 once the deadline after a signal has passed, whatever the run is doing', async () => {
    const p = start('ignore-signal', { FIXTURE_DEADLINE_MS: '300' });
    await p.waitForLine(/"running"/);
    p.signal('SIGINT');
    expect(await p.exited).toBe(1);
    expect(messages(p)).toContain('shutdown did not finish in time: exiting');
  });

  it('exits 1 with the error when the run throws', async () => {
    const p = start('throw');
    expect(await p.exited).toBe(1);
    expect(p.logs().find((l) => l.level === 60)).toMatchObject({
      msg: 'fixture failed',
      err: { message: 'disk on fire' },
    });
  });

  it('reports problems found after parsing like invalid flags: exit 2, the problems and the usage', async () => {
    const p = start('invalid');
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('fixture: invalid configuration\n  - --since: must be in the past');
    expect(p.stderr()).toContain('Usage: pnpm fixture [options]');
  });
});
