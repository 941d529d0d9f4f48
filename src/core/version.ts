/** The version of Fluss (package.json holds the same; a unit test keeps them equal). */
export const VERSION = '0.1.0';
