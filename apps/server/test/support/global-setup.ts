import { mysqlProblem } from './mysql';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Null when MySQL is reachable, else why not (checked once per run). */
    mysqlProblem: string | null;
  }
}

/** Vitest globalSetup: checks MySQL once per run and hands the answer to every test file. */
export default async function setup(project: {
  provide(key: 'mysqlProblem', value: string | null): void;
}): Promise<void> {
  project.provide('mysqlProblem', await mysqlProblem());
}
