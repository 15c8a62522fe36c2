/**
 * docker-compose.yml, and the output of `docker-compose config`, read by the deployment tests: the few
 * shapes they need, as text: these files are regular, and the assertions compare lines of compose's own output
 * (the `yaml` package, a dev dependency for the Grafana provisioning checks, would add nothing here).
 */

/** The blocks under `services:`, by name; works on the file and on `docker-compose config` output. */
export function serviceBlocks(yaml: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const lines = yaml.split('\n');
  let inServices = false;
  let name: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (name !== undefined) blocks.set(name, body.join('\n'));
    name = undefined;
    body = [];
  };
  for (const line of lines) {
    if (/^\S/.test(line)) {
      flush();
      inServices = /^services:\s*$/.test(line);
      continue;
    }
    if (!inServices) continue;
    const header = /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (header) {
      flush();
      name = header[1];
    } else if (name !== undefined) body.push(line);
  }
  flush();
  return blocks;
}

/** The `environment:` of a block of `docker-compose config` output, as a map. */
export function environmentOf(block: string): Map<string, string> {
  const section = /^ {4}environment:\n((?: {6}.*\n?)+)/m.exec(block)?.[1] ?? '';
  return new Map(
    [...section.matchAll(/^ {6}([A-Z0-9_]+): (.*)$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/^(['"])(.*)\1$/, '$2'),
    ]),
  );
}

/** The `profiles:` of a block of `docker-compose config` output; empty for a service that always starts. */
export function profilesOf(block: string): string[] {
  const section = /^ {4}profiles:\n((?: {4}- .*\n?)+)/m.exec(block)?.[1] ?? '';
  return [...section.matchAll(/^ {4}- (.*)$/gm)].map((m) => m[1] as string);
}

/** The `volumes:` of a block of `docker-compose config` output: `source:target:mode` lines. */
export function volumesOf(block: string): string[] {
  const section = /^ {4}volumes:\n((?: {4}- .*\n?)+)/m.exec(block)?.[1] ?? '';
  return [...section.matchAll(/^ {4}- (.*)$/gm)].map((m) => m[1] as string);
}
