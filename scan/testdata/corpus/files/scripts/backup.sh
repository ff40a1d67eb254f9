#!/usr/bin/env bash
# Nightly dump of the orders database to object storage.
set -euo pipefail

SOURCE="mysql://backup:Mk6DVKnAx0fLtF@orders-db.prod.nw-freight.internal:3306/orders"
TARGET="s3://nw-freight-backups/orders/$(date +%F).sql.gz"
MYSQL_PWD="${MYSQL_PWD:?set MYSQL_PWD}"

mysqldump --single-transaction "$SOURCE" | gzip | aws s3 cp - "$TARGET"
