// One shared clock for countdowns, ticking once a second while anything reads it.
import { nowUnix } from './time';

let current = $state(nowUnix());
let timer: ReturnType<typeof setInterval> | null = null;

export const ticker = {
  get now(): number {
    if (timer === null && typeof window !== 'undefined') {
      timer = setInterval(() => (current = nowUnix()), 1000);
    }
    return current;
  },
};
