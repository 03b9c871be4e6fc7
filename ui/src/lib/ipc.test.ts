import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { api, CommandError } from './ipc';

afterEach(() => clearMocks());

describe('ipc wrapper', () => {
  it('passes arguments through under the names the Rust commands expect', async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return { name: 'An', team: '', email: '', phone: '' };
    });
    const saved = await api.saveWorkerProfile({ name: 'An', team: '', email: '', phone: '' });
    expect(saved.name).toBe('An');
    expect(calls).toEqual([
      {
        cmd: 'save_worker_profile',
        args: { profile: { name: 'An', team: '', email: '', phone: '' } },
      },
    ]);
  });

  it('turns a {code, message, field} rejection into a CommandError', async () => {
    mockIPC(() => {
      throw { code: 'worker.required', message: 'Naam: vul dit in.', field: 'name' };
    });
    const error = await api.saveWorkerProfile({ name: '', team: '', email: '', phone: '' }).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.code).toBe('worker.required');
    expect(error.field).toBe('name');
    expect(error.message).toBe('Naam: vul dit in.');
  });

  it('wraps anything else in a Dutch unexpected-error message', async () => {
    mockIPC(() => {
      throw 'kapot';
    });
    const error = await api.sessionState().catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.code).toBe('ipc.unexpected');
    expect(error.message).toContain('kapot');
  });
});
