// A configuration that cannot run as asked (a layout the problem cannot fill, a size past the adapter's limits):
// the CLI exits 2 for these, and the page names the reason.

export class ConfigError extends Error {
  readonly config = true;
}
