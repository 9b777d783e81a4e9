import { z } from 'zod';

/** One place a dataset file can be fetched from: the file itself, or a zip archive holding it. */
export const remoteSourceSchema = z.object({
  /** Pinned URL (a commit-pinned raw GitHub URL or the UCI archive). */
  url: z.url(),
  /** When set, `url` is a zip archive that is verified against this digest and then `entry` is extracted. */
  archive: z
    .object({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      size: z.number().int().positive().optional(),
      /** Name of the file inside the zip (matched on the base name). */
      entry: z.string().min(1),
      /**
       * Who pinned `sha256`: the publisher (a different archive is refused) or a third party (a different archive is
       * a warning, its own sha256 is recorded, and the extracted entry is still checked). Default `publisher`.
       */
      pinnedBy: z.enum(['publisher', 'third-party']).optional(),
    })
    .optional(),
});

/** A remote source of a dataset file; see {@link remoteSourceSchema}. */
export type RemoteSource = z.infer<typeof remoteSourceSchema>;

/** Describes one dataset file: where it sits in a datasets folder, its digest and where to download it. */
export const datasetFileSpecSchema = z.object({
  /** Folder of the dataset inside a datasets directory, e.g. `it-tickets`. */
  dataset: z.string().regex(/^[\w.-]+$/),
  /** File name inside that folder, e.g. `all_tickets.csv`. */
  file: z.string().regex(/^[\w.() -]+$/),
  /** Expected sha256 (hex) of the file; when absent the file is checked structurally by its loader. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Expected size in bytes, when known. */
  size: z.number().int().positive().optional(),
  /** Remote sources, tried in order. */
  sources: z.array(remoteSourceSchema),
});

/** A dataset file description; see {@link datasetFileSpecSchema}. */
export type DatasetFileSpec = z.infer<typeof datasetFileSpecSchema>;

/** Support tickets with ticket type, category, urgency and impact (5,431 rows; MIT, Microsoft/Endava). */
export const IT_TICKETS_URGENCY_FILE: DatasetFileSpec = {
  dataset: 'it-tickets',
  file: 'all_tickets.csv',
  sha256: '1c1fc94f38535af9de024006394449bf7fae987bff7c2f6f95fbdebdfb51238d',
  size: 1_628_098,
  sources: [
    {
      url: 'https://raw.githubusercontent.com/deepakmoud/datasets-for-experiment/780b98bc6e76759cd629d1a3c2decd48a645528b/all_tickets.csv',
    },
  ],
};

/** Support tickets with a readable topic group (47,837 rows; Kaggle, CC0), shipped inside a pinned zip. */
export const IT_TICKETS_TOPICS_FILE: DatasetFileSpec = {
  dataset: 'it-tickets',
  file: 'all_tickets_processed_improved_v3.csv',
  sha256: '044fdace33fa564e1e60453f2941dafc95539c99878b0d32746950394b9dd4d4',
  size: 14_568_920,
  sources: [
    {
      url: 'https://raw.githubusercontent.com/Lunalykaya/IT-Service-Ticket-Classification/c2c2466302a23a7260110ed40204c6959564a5e4/data/archive%20(50).zip',
      archive: {
        sha256: '1e6c2508dba84f737ef30f589c2e4f7b2b27a4bbec753e6b5c84183a5f91ed4f',
        size: 3_615_264,
        entry: 'all_tickets_processed_improved_v3.csv',
      },
    },
  ],
};

/** The official UCI SECOM archive (secom.data, secom_labels.data, secom.names); digest from a third-party pin. */
const UCI_SECOM_ZIP = 'https://archive.ics.uci.edu/static/public/179/secom.zip';
const UCI_SECOM_ZIP_SHA256 = 'eea568baf3c2229096d7d294cf0b096b5502bd96d92c0b80a65b84714059be8e';

/** SECOM pass/fail labels and timestamps (1,567 lines; UCI, CC BY 4.0). */
export const SECOM_LABELS_FILE: DatasetFileSpec = {
  dataset: 'secom',
  file: 'secom_labels.data',
  sha256: '126884cf453705c9e61a903fe906f0665a3b45ce3639e621edc5c93c89627e03',
  size: 40_638,
  sources: [
    { url: 'https://archive.ics.uci.edu/ml/machine-learning-databases/secom/secom_labels.data' },
    {
      url: UCI_SECOM_ZIP,
      archive: { sha256: UCI_SECOM_ZIP_SHA256, size: 1_964_989, entry: 'secom_labels.data', pinnedBy: 'third-party' },
    },
    {
      url: 'https://raw.githubusercontent.com/yeshudanbora/Secom-Wafer-Analytics/92614da178c25ffe53391021816bf5f0df3136a2/secom_labels.data',
    },
  ],
};

/**
 * SECOM sensor readings (1,567 × 590, `NaN` for missing; UCI, CC BY 4.0). Its sha256 is not known offline, so the
 * loader checks its shape and two row fingerprints instead (see the README).
 */
export const SECOM_FEATURES_FILE: DatasetFileSpec = {
  dataset: 'secom',
  file: 'secom.data',
  sources: [
    { url: 'https://archive.ics.uci.edu/ml/machine-learning-databases/secom/secom.data' },
    {
      url: UCI_SECOM_ZIP,
      archive: { sha256: UCI_SECOM_ZIP_SHA256, size: 1_964_989, entry: 'secom.data', pinnedBy: 'third-party' },
    },
  ],
};

/** Every dataset file this package knows, by a short id. */
export const DATASET_FILES = {
  'it-tickets/urgency': IT_TICKETS_URGENCY_FILE,
  'it-tickets/topics': IT_TICKETS_TOPICS_FILE,
  'secom/labels': SECOM_LABELS_FILE,
  'secom/features': SECOM_FEATURES_FILE,
} as const satisfies Record<string, DatasetFileSpec>;
