import pkg from '../package.json' with { type: 'json' };

/** The package's version, from package.json (the one source a release bumps). */
export const version: string = pkg.version;
