/** Prepared statements by their SQL text, each prepared on first use and kept for the connection's life. */
import type Database from 'better-sqlite3';

export class Statements {
  readonly #db: Database.Database;
  readonly #byText = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  get(sql: string): Database.Statement {
    let statement = this.#byText.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#byText.set(sql, statement);
    }
    return statement;
  }
}
