# The lake's catalog: one Glue table per entity over lake/<entity>/dt=YYYY-MM-DD/ Parquet,
# partitions found by projection (no crawler, no MSCK REPAIR), and an Athena workgroup
# whose results are encrypted with the environment's key.
locals {
  entities = toset(["property", "landlord", "tenant", "tenancy"])
  # Written by `python -m pms_pipelines.lake.glue_columns` from the code's schemas (the
  # Parquet's LAKE_SCHEMA, the handled lines Firehose lands): a test keeps them equal.
  columns = jsondecode(file("${path.module}/columns.json"))
  # Partitions by day (dt=YYYY-MM-DD), found by projection: no crawler, no MSCK REPAIR.
  daily_partitions = {
    "EXTERNAL"                    = "TRUE"
    "projection.enabled"          = "true"
    "projection.dt.type"          = "date"
    "projection.dt.format"        = "yyyy-MM-dd"
    "projection.dt.range"         = "${var.lake_start_date},NOW"
    "projection.dt.interval"      = "1"
    "projection.dt.interval.unit" = "DAYS"
  }
}

resource "aws_glue_catalog_database" "lake" {
  name        = replace("${var.name}_lake", "-", "_")
  description = "Compacted PMS events, one table per entity, partitioned by day"
}

resource "aws_glue_catalog_table" "entity" {
  for_each      = local.entities
  name          = each.key
  database_name = aws_glue_catalog_database.lake.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.daily_partitions, {
    "classification"            = "parquet"
    "storage.location.template" = "s3://${var.lake_bucket_name}/lake/${each.key}/dt=$${dt}/"
  })

  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.lake_bucket_name}/lake/${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = local.columns.lake
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# Today's events before the nightly compaction: Firehose's raw output (GZIP JSON lines of
# handled events under raw/dt=YYYY-MM-DD/), envelope only — the event's data and a
# rejected record's bytes are not masked there, so they are not declared.
resource "aws_glue_catalog_table" "raw" {
  name          = "raw_events"
  database_name = aws_glue_catalog_database.lake.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.daily_partitions, {
    "classification"            = "json"
    "storage.location.template" = "s3://${var.raw_bucket_name}/raw/dt=$${dt}/"
  })

  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.raw_bucket_name}/raw/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "ignore.malformed.json" = "true"
      }
    }

    dynamic "columns" {
      for_each = local.columns.raw
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_athena_workgroup" "lake" {
  name          = "${var.name}-lake"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location = "s3://${var.results_bucket_name}/athena/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
