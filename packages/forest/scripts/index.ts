/** What the comparison scripts of other packages use: the .npy writer and the Python baseline runner. */
export * from './npy.ts';
export * from './python.ts';
