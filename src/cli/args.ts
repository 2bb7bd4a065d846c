import { parseArgs, type ParseArgsConfig } from "node:util";

/** parseArgs with --help handling and a usage line on bad arguments. */
export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(
  usage: string,
  options: T,
  argv: string[] = process.argv.slice(2),
): ReturnType<
  typeof parseArgs<{
    options: T & { help: { type: "boolean"; short: "h" } };
    allowPositionals: true;
  }>
> {
  const config = {
    args: argv,
    options: { ...options, help: { type: "boolean" as const, short: "h" } },
    allowPositionals: true as const,
  };
  try {
    const parsed = parseArgs(config);
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}
