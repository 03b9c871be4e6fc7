import { describe, expect, it } from 'vitest';
import { Presses } from './presses';

describe('Presses', () => {
  it('answers a second press of the same key only once the first is answered, another key at once', async () => {
    const presses = new Presses<string>();
    const answered: string[] = [];
    let finish = () => {};
    const first = presses.answer('a', () => new Promise<void>((done) => (finish = done)).then(() => void answered.push('a1')));
    await presses.answer('a', async () => void answered.push('a2'));
    await presses.answer('b', async () => void answered.push('b'));
    finish();
    await first;
    await presses.answer('a', async () => void answered.push('a3'));
    expect(answered).toEqual(['b', 'a1', 'a3']);
  });

  it('takes the key back when the answer fails', async () => {
    const presses = new Presses<number>();
    await expect(presses.answer(1, async () => Promise.reject(new Error('weg')))).rejects.toThrow('weg');
    let again = false;
    await presses.answer(1, async () => void (again = true));
    expect(again).toBe(true);
  });
});
