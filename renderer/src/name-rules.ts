/**
 * The name rules the download form checks with (the core's own words), loaded on demand: see
 * GetModels' `loadNameRules`. A module of its own, so the on-demand chunk is imported by name.
 */
export { checkDownloadTarget } from '../../electron/shared/model-names';
