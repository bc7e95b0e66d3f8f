ALTER TABLE "jobs" ADD COLUMN "dispatched_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "jobs_undispatched_idx" ON "jobs" USING btree ("created_at") WHERE status = 'queued' and dispatched_at is null;--> statement-breakpoint
-- rows from before this column were published by the code of their time (or failed): none is waiting to be
UPDATE "jobs" SET "dispatched_at" = "created_at";
