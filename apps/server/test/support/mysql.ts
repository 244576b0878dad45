import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

/** The MySQL server the suites use: `MYSQL_URL`, default `mysql://root@127.0.0.1:3306`. */
export function mysqlServerUrl(): string {
  return (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
}

function connectionOptions() {
  const url = new URL(mysqlServerUrl());
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    connectTimeout: 2_000,
  };
}

/** Null when MySQL answers, else why not. */
export async function mysqlProblem(): Promise<string | null> {
  try {
    const connection = await createConnection(connectionOptions());
    await connection.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Creates a uniquely named, empty database; returns its DATABASE_URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ databaseUrl: string; drop(): Promise<void> }> {
  const name = `acme_test_${randomBytes(6).toString('hex')}`;
  const connection = await createConnection(connectionOptions());
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
  return {
    databaseUrl: `${mysqlServerUrl()}/${name}`,
    drop: async () => {
      const dropper = await createConnection(connectionOptions());
      try {
        await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.end();
      }
    },
  };
}
