import type { TestProject } from 'vitest/node';
import { mysqlProblem } from './mysql';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Null when MySQL is reachable, else why not (checked once per run). */
    mysqlProblem: string | null;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('mysqlProblem', await mysqlProblem());
}
