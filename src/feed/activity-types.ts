/**
 * The one table of activity types. Adding a type (the original later added
 * `article_published`, `announcement`, ...) is one entry here: its display name,
 * how its title reads, its default target and its retention. Nothing else in
 * the code lists the types.
 */

export type EventData = Readonly<Record<string, unknown>>;

export interface ActivityTypeDefinition {
  /** `activity_type_display` on the wire, as the original's choices. */
  readonly display: string;
  /** Default retention in days (the design's RETENTION_POLICY). */
  readonly retentionDays: number;
  /** Title shown by clients; personalised, i.e. without the user's own name. */
  readonly title: (data: EventData) => string;
  /** Description when the event carries none of its own. */
  readonly description?: (data: EventData) => string;
  /** Target when the event names none: the fast or devotional it is about. */
  readonly defaultTarget?: (data: EventData) => { type: string; id: number } | undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

const positiveInt = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;

/** The fast's name as clients show it; falls back to the id, then to a generic phrase. */
export function fastName(data: EventData): string {
  const id = positiveInt(data.fast_id);
  return text(data.fast_name) ?? (id !== undefined ? `Fast #${id}` : "a fast");
}

const fastTarget = (data: EventData) => {
  const id = positiveInt(data.fast_id);
  return id === undefined ? undefined : { type: "hub.fast", id };
};

const devotionalTarget = (data: EventData) => {
  const id = positiveInt(data.devotional_id);
  return id === undefined ? fastTarget(data) : { type: "hub.devotional", id };
};

export const ACTIVITY_TYPES = {
  event: {
    display: "Event",
    retentionDays: 180,
    title: (data) => text(data.title) ?? "Event",
  },
  fast_start: {
    display: "Fast Started",
    retentionDays: 90,
    // The original uses the same item for a fast ending, with its own wording.
    title: (data) => `${fastName(data)} has ${data.phase === "ended" ? "ended" : "begun"}`,
    defaultTarget: fastTarget,
  },
  fast_join: {
    display: "Joined Fast",
    retentionDays: 180,
    title: (data) => `Joined ${fastName(data)}`,
    defaultTarget: fastTarget,
  },
  fast_leave: {
    display: "Left Fast",
    retentionDays: 180,
    title: (data) => `Left ${fastName(data)}`,
    defaultTarget: fastTarget,
  },
  devotional_available: {
    display: "Devotional Available",
    retentionDays: 90,
    title: (data) => `New devotional available for ${fastName(data)}`,
    defaultTarget: devotionalTarget,
  },
  milestone: {
    display: "Milestone Reached",
    retentionDays: 365,
    title: (data) => `${fastName(data)} reached participation milestone`,
    defaultTarget: fastTarget,
  },
  fast_reminder: {
    display: "Fast Reminder",
    retentionDays: 30,
    title: (data) => `Fast Reminder: ${fastName(data)}`,
    description: (data) => `The ${fastName(data)} is starting soon. Don't forget to join!`,
    defaultTarget: fastTarget,
  },
  devotional_reminder: {
    display: "Devotional Reminder",
    retentionDays: 30,
    title: (data) => `New Devotional: ${text(data.video_title) ?? "Available"}`,
    description: (data) => `A new devotional is available for ${fastName(data)}`,
    defaultTarget: devotionalTarget,
  },
} as const satisfies Record<string, ActivityTypeDefinition>;

export type ActivityType = keyof typeof ACTIVITY_TYPES;

export const ACTIVITY_TYPE_NAMES = Object.keys(ACTIVITY_TYPES) as [ActivityType, ...ActivityType[]];

export function isActivityType(value: string): value is ActivityType {
  return Object.hasOwn(ACTIVITY_TYPES, value);
}

export function activityTypeDisplay(type: string): string {
  return isActivityType(type) ? ACTIVITY_TYPES[type].display : type;
}
